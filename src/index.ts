/**
 * The Stepwise Worker's entry point: the HTTP API, the events queue consumer, the RPC entrypoint
 * for service bindings and the Durable Object classes, with the example functions registered so
 * `npm run dev` has something to run.
 */
import { examples } from "../examples/index.ts";
import { app } from "./api/app.ts";
import type { Env } from "./env.ts";
import { registry } from "./registry.ts";
import { consumeEvents } from "./router/queue.ts";
import { startIsolate } from "./isolate-start.ts";

export { RunObject } from "../durable-objects/run/run-object.ts";
export { RunIndexBuffer } from "../durable-objects/run-index/run-index-buffer.ts";
export { EventSweeper } from "../durable-objects/sweeper/event-sweeper.ts";
export { CronScheduler } from "../durable-objects/schedule/cron-scheduler.ts";
export { WaitIndex } from "../durable-objects/waits/wait-index.ts";
export { BulkJob } from "../durable-objects/bulk/bulk-job.ts";
export { ConcurrencyLimiter } from "../durable-objects/flow/concurrency-limiter.ts";
export { FlowGate } from "../durable-objects/flow/flow-gate.ts";
export { EventCollector } from "../durable-objects/flow/event-collector.ts";
export { StepwiseRpc } from "./rpc/entrypoint.ts";

registry.register(...examples);

export default {
  fetch: (request, env, ctx) => {
    ctx.waitUntil(startIsolate(env));
    return app.fetch(request, env, ctx);
  },
  queue: (batch, env, ctx) => {
    ctx.waitUntil(startIsolate(env));
    return consumeEvents(batch, env);
  },
} satisfies ExportedHandler<Env>;
