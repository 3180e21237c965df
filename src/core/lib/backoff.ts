/**
 * Retry backoff: exponential, capped, with jitter so that many runs failing together do not
 * retry in lockstep.
 */

/** A backoff policy in milliseconds. */
export interface BackoffPolicy {
  initialMs: number;
  coefficient: number;
  maxMs: number;
}

/** Stepwise's default: 1 s, doubling, at most 10 minutes between attempts. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, coefficient: 2, maxMs: 600_000 };

/**
 * Delay before retry number `retry` (1 for the first retry). "Equal jitter": half the exponential
 * delay is fixed and half is random, so a retry never comes sooner than half its nominal delay.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const nominal = Math.min(policy.maxMs, policy.initialMs * policy.coefficient ** Math.max(0, retry - 1));
  return Math.round(nominal / 2 + (random() * nominal) / 2);
}
