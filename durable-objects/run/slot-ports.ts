/**
 * The RunObject's side of concurrency limits: which ConcurrencyLimiter objects a run's steps
 * count against (one per limit, per key value), and taking and giving back slots in each.
 */
import { compileExpression, keyOf } from "../../sdk/expression.ts";
import type { FunctionConfig } from "../../sdk/function.ts";
import type { Env } from "../../src/core/env.ts";
import { fnv1a } from "../../src/core/lib/hash.ts";
import { concurrencyLimiter, limiterShards } from "../../src/core/objects.ts";
import type { LanePorts } from "./slot-lanes.ts";
import type { RunState } from "./state.ts";

/** Taking and giving back a run's slots (the lanes of slot-lanes.ts). */
export type SlotPorts = LanePorts;

const unlimited: SlotPorts = { acquireSlots: async (names) => names, releaseSlots: async () => undefined };

/** The slot ports for a run of a function with `config` (free of I/O when it has no limits). */
export function slotPorts(env: Env, state: RunState, config: FunctionConfig | undefined): SlotPorts {
  const limits = config?.concurrency ?? [];
  const [event] = state.events;
  if (limits.length === 0 || !event) return unlimited;
  const keyValue = (key: string | undefined): string =>
    key === undefined ? "" : (keyOf(compileExpression(key), { event }) ?? "");
  // Waiters in an unkeyed limit take turns by the keyed limit's value, so tenants share it fairly.
  const fairness = keyValue(limits.find((limit) => limit.key !== undefined)?.key);
  const priority = config?.priority ? compileExpression(config.priority.run).evaluate({ event }) : undefined;
  const seconds =
    priority?.ok && typeof priority.value === "number" ? Math.max(-600, Math.min(600, priority.value)) : 0;
  const limiters = limits.map((limit, position) => {
    const key = keyValue(limit.key);
    const named =
      limit.scope === "env"
        ? ({ scope: "env", key: limit.key ?? "" } as const)
        : ({ scope: "fn", functionId: state.functionId, index: position } as const);
    // A split limit: this run always counts against the same shard of it (see objects.ts).
    const shards = limiterShards(limit.limit);
    const index = shards > 1 ? fnv1a(state.runId) % shards : undefined;
    return {
      stub: concurrencyLimiter(env, named, key, index),
      key: limit.key === undefined ? fairness : key,
      limit: limit.limit,
      shard: index === undefined ? undefined : { index, of: shards, parent: named, keyValue: key },
    };
  });
  return {
    async acquireSlots(names) {
      let granted = names;
      // A step runs only with a slot in every limit; each limit is asked for what the previous granted.
      for (const limiter of limiters) {
        if (granted.length === 0) break;
        granted = await limiter.stub.acquire({
          runId: state.runId,
          stepIds: granted,
          key: limiter.key,
          limit: limiter.limit,
          priorityMs: seconds * 1000,
          shard: limiter.shard,
        });
      }
      return granted;
    },
    async releaseSlots() {
      await Promise.all(limiters.map((limiter) => limiter.stub.releaseRun(state.runId)));
    },
    maxLanes: Math.max(1, Math.min(...limiters.map((limiter) => limiter.limit))),
  };
}
