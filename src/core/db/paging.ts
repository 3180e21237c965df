/**
 * Query parameters shared by the listing endpoints: `limit` and an opaque `cursor`.
 */
import { z } from "zod";
import { epochMsSchema } from "../lib/json-shape.ts";
import { decodeCursor, encodeCursor, type Cursor } from "./cursor.ts";

/** Most rows one page may hold. */
const MAX_PAGE = 200;

export const pagingSchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  cursor: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === "") return undefined;
      const cursor = decodeCursor(text);
      if (!cursor) ctx.addIssue({ code: "custom", message: "not a cursor this API gave out" });
      return cursor;
    }),
});

/** A time given as epoch milliseconds (a number, or digits in a query) or an ISO 8601 date. */
export const timeSchema = z.union([
  epochMsSchema,
  z.string().transform((text, ctx) => {
    const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (Number.isNaN(ms)) ctx.addIssue({ code: "custom", message: "expected epoch milliseconds or an ISO 8601 date" });
    else if (!epochMsSchema.safeParse(ms).success)
      ctx.addIssue({ code: "custom", message: "a time between 1970 and what a date can hold" });
    return ms;
  }),
]);

/** The `nextCursor` field of a page: present only when there is a next page. */
export function nextCursor(next: Cursor | undefined): { nextCursor?: string } {
  return next ? { nextCursor: encodeCursor(next) } : {};
}
