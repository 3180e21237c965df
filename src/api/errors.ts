/**
 * The API's error answers: one stable JSON shape, `{ error: { code, message, issues? } }`.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

/** A JSON error answer with a machine-readable code and a message for people. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  issues?: z.core.$ZodIssue[],
): Response {
  return c.json({ error: { code, message, ...(issues ? { issues } : {}) } }, status);
}
