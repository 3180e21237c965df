/**
 * A `failure_rate` rule's condition: a function's failed runs over its ended runs in the rule's
 * window, from the run index. Raising (raise.ts) and resolving (resolve.ts) read it the same way.
 */
import { toMs } from "../../../sdk/duration.ts";
import type { Env } from "../env.ts";
import { runStats } from "../run-index/read.ts";
import type { AlertRule } from "./rules.ts";

export interface FailureRate {
  /** Whether the rate is over the rule's threshold over at least its `minRuns` ended runs. */
  over: boolean;
  failed: number;
  ended: number;
  /** failed / ended, 0 with none ended. */
  rate: number;
}

/** `rule`'s figures for `functionId` over the window ending at `now`. */
export async function failureRate(
  env: Env,
  rule: Extract<AlertRule, { kind: "failure_rate" }>,
  functionId: string,
  now: number,
): Promise<FailureRate> {
  const stats = (await runStats(env, now - toMs(rule.window), functionId)).get(functionId);
  const failed = stats?.byStatus.failed ?? 0;
  const ended = failed + (stats?.byStatus.completed ?? 0) + (stats?.byStatus.cancelled ?? 0);
  const rate = ended === 0 ? 0 : failed / ended;
  return { over: ended >= rule.minRuns && rate * 100 > rule.threshold, failed, ended, rate };
}

/** A rate as people read it ("12.5%"). */
export const percent = (rate: number): string => `${(rate * 100).toFixed(1)}%`;
