/**
 * Delayed runs: `invoke(fn, data, { delay })` or `{ runAt }` starts a run that waits, as
 * `scheduled`, until its time; it can be rescheduled or cancelled before it starts. An event sent
 * with a `ts` in the future does the same for the runs it starts, as on Inngest.
 */
import { z } from "zod";
import { toMs, type Duration } from "./duration.ts";

/** How far ahead a run may be scheduled. */
export const MAX_RUN_DELAY_MS = 365 * 86_400_000;

/** When a run starts: after `delay`, or at `runAt` (an ISO time or epoch milliseconds); not both. */
export interface DelayOptions {
  /** `"10m"`, `"2 days"`, milliseconds. */
  delay?: Duration;
  /** An ISO 8601 time or epoch milliseconds. */
  runAt?: string | number;
}

/** The wire fields of {@link DelayOptions}, checked at every door (with {@link startAtFrom}). */
export const delayFields = {
  delay: z.union([z.number().min(0), z.string().min(1).max(64)]).optional(),
  runAt: z.union([z.iso.datetime({ offset: true }), z.number().int().min(0)]).optional(),
};

/** {@link startAtOf} as an answer: the start time (undefined: now), or why the options are refused. */
export function startAtFrom(
  options: DelayOptions,
  now: number,
): { ok: true; startAt: number | undefined } | { ok: false; message: string } {
  if (options.delay !== undefined && options.runAt !== undefined)
    return { ok: false, message: "Give `delay` or `runAt`, not both" };
  try {
    return { ok: true, startAt: startAtOf(options, now) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The time a run with `options` starts, undefined when it starts now (no delay, or a time
 * passed). Throws a message for a malformed delay or one past {@link MAX_RUN_DELAY_MS}.
 */
export function startAtOf(options: DelayOptions, now: number): number | undefined {
  let at: number | undefined;
  if (options.delay !== undefined) at = now + toMs(options.delay);
  else if (options.runAt !== undefined)
    at = typeof options.runAt === "number" ? options.runAt : Date.parse(options.runAt);
  if (at === undefined || at <= now) return undefined;
  if (!Number.isFinite(at) || at - now > MAX_RUN_DELAY_MS)
    throw new RangeError(`A run can be scheduled at most a year ahead; asked for ${new Date(at).toISOString()}`);
  return at;
}
