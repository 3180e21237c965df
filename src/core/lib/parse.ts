/**
 * Validation at RPC boundaries: a zod failure becomes an error whose message lists the issues,
 * because an error crossing Workers RPC keeps its message but not a ZodError's structure.
 */
import { z } from "zod";

/** Thrown when an RPC argument fails its schema; the message says what was wrong. */
export class InvalidInputError extends Error {
  override name = "InvalidInputError";
}

/** Parses `value` with `schema`, or throws {@link InvalidInputError} naming `what` and the issues. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidInputError(`Invalid ${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
