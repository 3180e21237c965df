/**
 * The RunObject's side of the start-time flow controls: asking the FlowGate of each mechanism the
 * function has (keyed by the run's event) whether, and when, the run may start.
 */
import { toMs } from "../../sdk/duration.ts";
import { compileExpression, keyOf } from "../../sdk/expression.ts";
import type { FunctionConfig } from "../../sdk/function.ts";
import type { Env } from "../../src/core/env.ts";
import { flowGate } from "../../src/core/objects.ts";
import type { Admission } from "./runner.ts";
import type { RunState } from "./state.ts";

/** Flow control's answer for this run; undefined (no I/O) when the function has none. */
export async function admitRun(
  env: Env,
  state: RunState,
  config: FunctionConfig | undefined,
): Promise<Admission | undefined> {
  const [event] = state.events;
  if (!config || !event || (!config.throttle && !config.rateLimit && !config.singleton)) return undefined;
  const gate = (kind: string, key: string | undefined) => {
    const value = key === undefined ? "" : (keyOf(compileExpression(key), { event }) ?? "");
    return flowGate(env, state.functionId, kind, value);
  };
  if (config.rateLimit) {
    const { limit, period, key } = config.rateLimit;
    const result = await gate("rateLimit", key).rate({ limit, periodMs: toMs(period), burst: limit - 1 }, "skip");
    if (!result.admitted) return { skip: `rate limited: more than ${limit} runs per ${String(period)}` };
  }
  if (config.singleton) {
    const result = await gate("singleton", config.singleton.key).singleton(state.runId, config.singleton.mode);
    if (!result.admitted) return { skip: "singleton: another run for this key is still running" };
  }
  if (config.throttle) {
    const { limit, period, burst, key } = config.throttle;
    const { at } = await gate("throttle", key).rate({ limit, periodMs: toMs(period), burst }, "wait");
    if (at > Date.now()) return { notBefore: at, reason: `throttled: ${limit} per ${String(period)}` };
  }
  return {};
}
