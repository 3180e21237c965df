/**
 * The RunObject's side of the start-time flow controls: asking the FlowGate of each mechanism the
 * function has (keyed by the run's event) whether, and when, the run may start.
 */
import { toMs } from "../../sdk/duration.ts";
import { compileExpression, keyOf } from "../../sdk/expression.ts";
import type { FunctionConfig } from "../../sdk/function.ts";
import type { Env } from "../../src/core/env.ts";
import { flowGate, gateShards } from "../../src/core/objects.ts";
import { fnv1a } from "../../src/core/lib/hash.ts";
import type { Rate } from "../flow/gcra.ts";
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
  const valueOf = (key: string | undefined) =>
    key === undefined ? "" : (keyOf(compileExpression(key), { event }) ?? "");
  // A split rate: this run asks the shard its id hashes to (see gateShards).
  const admitAt = (kind: "rateLimit" | "throttle", key: string | undefined, rate: Rate, how: "wait" | "skip") => {
    const keyValue = valueOf(key);
    const shards = gateShards(kind, rate, key !== undefined);
    if (shards === 1) return flowGate(env, state.functionId, kind, keyValue).rate(rate, how);
    const index = fnv1a(state.runId) % shards;
    const shard = { index, of: shards, functionId: state.functionId, kind, keyValue };
    return flowGate(env, state.functionId, kind, keyValue, index).rate(rate, how, shard);
  };
  if (config.rateLimit) {
    const { limit, period, key } = config.rateLimit;
    const result = await admitAt("rateLimit", key, { limit, periodMs: toMs(period), burst: limit - 1 }, "skip");
    if (!result.admitted) return { skip: `rate limited: more than ${limit} runs per ${String(period)}` };
  }
  if (config.singleton) {
    const gate = flowGate(env, state.functionId, "singleton", valueOf(config.singleton.key));
    const result = await gate.singleton(state.runId, config.singleton.mode);
    if (!result.admitted) return { skip: "singleton: another run for this key is still running" };
  }
  if (config.throttle) {
    const { limit, period, burst, key } = config.throttle;
    const { at } = await admitAt("throttle", key, { limit, periodMs: toMs(period), burst }, "wait");
    if (at > Date.now()) return { notBefore: at, reason: `throttled: ${limit} per ${String(period)}` };
  }
  return {};
}
