/**
 * Shapes of JSON Stepwise refuses before keeping it: nesting deeper than anything real (it costs
 * recursion in every serializer it meets and failed as a 500 before), and times no Date can hold
 * (`new Date(ms).toISOString()` throws on them, so they would fail every page that shows them).
 */
import { z } from "zod";

/** Deepest nesting accepted in event data, invoked data and bodies (objects and arrays). */
export const MAX_JSON_DEPTH = 100;

/** Largest epoch milliseconds a Date holds (about the year 275760). */
const MAX_DATE_MS = 8_640_000_000_000_000;

/** Whether `value` nests deeper than `limit`; walked without recursion, so any depth is safe to ask about. */
export function deeperThan(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item))
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
  }
  return false;
}

/** A zod check for JSON values: at most {@link MAX_JSON_DEPTH} levels. */
export const shallowEnough = {
  check: (value: unknown) => !deeperThan(value),
  error: `nests deeper than ${MAX_JSON_DEPTH} levels`,
} as const;

/** Epoch milliseconds a Date can hold. */
export const epochMsSchema = z.number().int().min(0).max(MAX_DATE_MS, "a time past what a date can hold");
