/**
 * Reading a JSON request body against a zod schema, with a clear 400 for anything malformed.
 */
import type { Context } from "hono";
import { z } from "zod";
import { formatBytes } from "../core/lib/json-size.ts";
import { deeperThan, MAX_JSON_DEPTH } from "../core/lib/json-shape.ts";
import { MAX_REQUEST_BYTES } from "../core/events/limits.ts";
import { errorResponse } from "./errors.ts";

/** application/json, or a +json type, with any parameters. */
const JSON_TYPE = /^\s*application\/([\w.-]+\+)?json\s*(;|$)/i;

export type BodyResult<T> = { ok: true; value: T } | { ok: false; response: Response };

const tooLarge = (c: Context): BodyResult<never> => ({
  ok: false,
  response: errorResponse(
    c,
    413,
    "payload_too_large",
    `The request body is larger than ${formatBytes(MAX_REQUEST_BYTES)}`,
  ),
});

/** Parses the body as JSON (an empty body counts as `{}`) and validates it. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<BodyResult<z.output<S>>> {
  if (Number(c.req.header("content-length") ?? 0) > MAX_REQUEST_BYTES) return tooLarge(c);
  const text = await c.req.text();
  if (text.length > MAX_REQUEST_BYTES) return tooLarge(c);
  let json: unknown = {};
  if (text.trim() !== "") {
    // A body of another type is how a web page posts without a CORS preflight: JSON is declared.
    const type = c.req.header("content-type") ?? "";
    if (!JSON_TYPE.test(type)) {
      const message = `The request body must be sent with Content-Type: application/json (it came as ${type ? JSON.stringify(type.slice(0, 100)) : "no type"})`;
      return { ok: false, response: errorResponse(c, 415, "unsupported_media_type", message) };
    }
    try {
      json = JSON.parse(text);
    } catch (error) {
      const message = `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
      return { ok: false, response: errorResponse(c, 400, "invalid_json", message) };
    }
  }
  // Deeper than any field allows (their own checks name the field); refused before any schema walks it.
  if (deeperThan(json, MAX_JSON_DEPTH + 4)) {
    return {
      ok: false,
      response: errorResponse(c, 400, "invalid_request", `The request body nests deeper than ${MAX_JSON_DEPTH} levels`),
    };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const message = `The request body is invalid: ${z.prettifyError(parsed.error)}`;
    return { ok: false, response: errorResponse(c, 400, "invalid_request", message, parsed.error.issues) };
  }
  return { ok: true, value: parsed.data };
}

/** Validates the query string (each parameter's first value). */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): BodyResult<z.output<S>> {
  const parsed = schema.safeParse(c.req.query());
  if (parsed.success) return { ok: true, value: parsed.data };
  const message = `The query string is invalid: ${z.prettifyError(parsed.error)}`;
  return { ok: false, response: errorResponse(c, 400, "invalid_request", message, parsed.error.issues) };
}
