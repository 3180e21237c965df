/**
 * `stepwise/worker`: the engine, for embedding in a team's own Worker. `createStepwise()` gives
 * the Worker's handlers (HTTP API and dashboard, the events queue consumer, a cron tick); the
 * Durable Object classes and the RPC entrypoint are exported from here so the Worker's entry can
 * re-export them in one line:
 *
 * ```ts
 * export { BulkJob, ConcurrencyLimiter, CronScheduler, EventCollector, EventShard, EventSweeper, FlowGate, IdempotencyShard, RealtimeStream, RunIndexBuffer, RunObject, StepwiseRpc, WaitIndex } from "stepwise/worker";
 * ```
 *
 * Functions are registered once per isolate, when the module is loaded: every Durable Object of
 * the same Worker sees them, whichever request reaches the isolate first.
 */
import { checkAlertsOnTick } from "./core/alerts/checks.ts";
import { exportTickMetrics } from "./core/telemetry/tick-metrics.ts";
import type { StepwiseFunction } from "../sdk/function.ts";
import { app } from "./api/app.ts";
import type { Env } from "./core/env.ts";
import { startIsolate } from "./isolate-start.ts";
import { registry } from "./core/functions/registry.ts";
import { pruneOnce } from "./retention/prune.ts";
import { moveLegacyEvents, moveLegacyKeys } from "./retention/legacy-d1.ts";
import { moveLegacyRuns } from "./core/run-index/legacy-d1-runs.ts";
import { settleListening } from "./core/events/listening.ts";
import { announceCatalogOrLog } from "./core/functions/catalog-generation.ts";
import { relistenOnce } from "./waits/relisten.ts";
import { consumeEvents } from "./router/queue.ts";

export { RunObject } from "../durable-objects/run/run-object.ts";
export { RunIndexBuffer } from "../durable-objects/run-index/run-index-buffer.ts";
export { EventSweeper } from "../durable-objects/sweeper/event-sweeper.ts";
export { EventShard } from "../durable-objects/events/event-shard.ts";
export { IdempotencyShard } from "../durable-objects/keys/idempotency-shard.ts";
export { CronScheduler } from "../durable-objects/schedule/cron-scheduler.ts";
export { WaitIndex } from "../durable-objects/waits/wait-index.ts";
export { BulkJob } from "../durable-objects/bulk/bulk-job.ts";
export { ConcurrencyLimiter } from "../durable-objects/flow/concurrency-limiter.ts";
export { FlowGate } from "../durable-objects/flow/flow-gate.ts";
export { EventCollector } from "../durable-objects/flow/event-collector.ts";
export { RealtimeStream } from "../durable-objects/realtime/realtime-stream.ts";
export { StepwiseRpc } from "./rpc/entrypoint.ts";
export type { Env as StepwiseEnv } from "./core/env.ts";

/** What {@link createStepwise} takes. */
export interface CreateStepwiseOptions {
  /** The functions this Worker runs in-process (made with `Stepwise#createFunction`). */
  functions?: StepwiseFunction[];
}

/** The handlers {@link createStepwise} gives: export the object as the Worker's default. */
export type StepwiseHandlers = Required<Pick<ExportedHandler<Env>, "fetch" | "queue" | "scheduled">>;

let created = false;

/**
 * Runs Stepwise inside this Worker with `functions`. Call it once, at the top level of the
 * Worker's entry module; a second call in the same isolate is refused, since both would share
 * one registry and one set of Durable Objects.
 *
 * @example
 * ```ts
 * import { createStepwise } from "stepwise/worker";
 * import { functions } from "./functions";
 *
 * // Stepwise's objects and RPC entrypoint live in this Worker, so it exports them.
 * export { BulkJob, ConcurrencyLimiter, CronScheduler, EventCollector, EventShard, EventSweeper, FlowGate, IdempotencyShard, RealtimeStream, RunIndexBuffer, RunObject, StepwiseRpc, WaitIndex } from "stepwise/worker";
 * export default createStepwise({ functions });
 * ```
 */
export function createStepwise(options: CreateStepwiseOptions = {}): StepwiseHandlers {
  if (created) throw new Error("createStepwise() was called twice in one Worker: call it once, with every function");
  created = true;
  registry.register(...(options.functions ?? []));
  return {
    fetch: (request, env, ctx) => {
      ctx.waitUntil(startIsolate(env));
      return app.fetch(request, env, ctx);
    },
    queue: (batch, env, ctx) => {
      ctx.waitUntil(startIsolate(env));
      return consumeEvents(batch, env);
    },
    // A Worker that gets no traffic after a deploy still arms its functions' cron schedules and
    // brings the catalogue up to date, and each tick prunes what retention lets go: give it a
    // `[triggers] crons` entry (this repository's wrangler.toml and the templates do).
    scheduled: (_controller, env, ctx) => {
      ctx.waitUntil(startIsolate(env));
      ctx.waitUntil(
        pruneOnce(env).then(
          (pruned) => {
            if (pruned.runs + pruned.idempotencyKeys > 0) console.log("stepwise: retention pruned", pruned);
          },
          (error: unknown) => console.error("stepwise: retention pass failed; the next tick tries again", error),
        ),
      );
      ctx.waitUntil(
        Promise.all([moveLegacyEvents(env), moveLegacyKeys(env), moveLegacyRuns(env)]).then(
          ([events, keys, runs]) => {
            if (events + keys + runs > 0)
              console.log(
                `stepwise: moved ${events} event(s), ${keys} idempotency key(s) and ${runs} run index row(s) from D1 into their shards`,
              );
          },
          (error: unknown) =>
            console.error(
              "stepwise: moving D1's events, keys or runs into their shards failed; the next tick tries again",
              error,
            ),
        ),
      );
      ctx.waitUntil(
        relistenOnce(env)
          .then(() => settleListening(env))
          .catch((error: unknown) =>
            console.error("stepwise: the waits upgrade pass failed; the next tick tries again", error),
          ),
      );
      // On its own: a shard that missed an app sync's announcement is put right whatever else fails.
      ctx.waitUntil(announceCatalogOrLog(env));
      ctx.waitUntil(
        checkAlertsOnTick(env).catch((error: unknown) =>
          console.error("stepwise: the alert checks failed; the next tick tries again", error),
        ),
      );
      ctx.waitUntil(
        exportTickMetrics(env).catch((error: unknown) =>
          console.error("stepwise: the metrics export failed; the next tick sends them again", error),
        ),
      );
    },
  };
}
