/**
 * Reading a JSON request body against a zod schema, with a clear 400 for anything malformed.
 */
import type { Context } from "hono";
import { z } from "zod";
import { errorResponse } from "./errors.ts";

export type BodyResult<T> = { ok: true; value: T } | { ok: false; response: Response };

/** Parses the body as JSON (an empty body counts as `{}`) and validates it. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<BodyResult<z.output<S>>> {
  const text = await c.req.text();
  let json: unknown = {};
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch (error) {
      const message = `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
      return { ok: false, response: errorResponse(c, 400, "invalid_json", message) };
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const message = `The request body is invalid: ${z.prettifyError(parsed.error)}`;
    return { ok: false, response: errorResponse(c, 400, "invalid_request", message, parsed.error.issues) };
  }
  return { ok: true, value: parsed.data };
}
