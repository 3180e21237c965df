/**
 * The generic cell rate algorithm, for throttle and rate limit: one stored number (the
 * theoretical arrival time) decides whether a run may start now, later, or not at all.
 */

/** `limit` runs per `periodMs`, with up to `burst` extra at once. */
export interface Rate {
  limit: number;
  periodMs: number;
  burst: number;
}

/** When the run may start (`at` is now or later) and the stored time after it is admitted. */
export interface Admission {
  at: number;
  tat: number;
}

/**
 * Admits one run at the earliest allowed moment at or after `now`. A throttle waits until `at`;
 * a rate limit skips the run when `at` is later than `now`.
 */
export function admit(rate: Rate, tat: number | undefined, now: number): Admission {
  const interval = rate.periodMs / rate.limit;
  const tolerance = interval * rate.burst;
  const current = Math.max(tat ?? now, now);
  const at = Math.max(now, current - tolerance);
  return { at, tat: Math.max(current, at) + interval };
}
