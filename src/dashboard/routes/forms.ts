/**
 * Reading the dashboard's HTML forms: fields as strings, validated with zod, issues as lines a
 * person can read next to the form.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";

/** Each zod issue as "path: message". */
export function zodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
  );
}

/** The form's text fields (files are ignored: no dashboard form takes one). */
export async function formFields(c: Context): Promise<Record<string, string>> {
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch {
    throw new HTTPException(400, {
      message: "The form could not be read: send it as application/x-www-form-urlencoded or multipart/form-data",
    });
  }
  return Object.fromEntries(
    Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

/** A JSON object typed into a textarea, or what is wrong with it. */
export function parseJsonObject(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() === "" ? "{}" : text);
  } catch (error) {
    return {
      ok: false,
      error: `The data is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const parsed = z.record(z.string(), z.unknown()).safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: 'The data must be a JSON object, like {"userId": "u1"}' };
}
