/**
 * The Worker the counting test runs against: Stepwise with the workload's functions, every object
 * class subclassed so that its `env` counts the calls it makes (./counting.ts), and the Worker's
 * own handlers given a counting env too. Stepwise itself is unchanged.
 */
import * as stepwise from "../../src/worker.ts";
import { counted, indexFault, noteSentRows, resetCounts, sentIndexRows, snapshot } from "./counting.ts";
import { hotspotFunctions } from "./functions.ts";
import type { Env } from "../../src/core/env.ts";
import { countRuns } from "../../src/core/run-index/read.ts";

export { StepwiseRpc } from "../../src/worker.ts";

export class RunObject extends stepwise.RunObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "RunObject"));
  }
}
/**
 * One index delivery in 20 fails (SCALE.md H8: 5% of index puts faulted), before the shard writes
 * anything; the run's outbox must deliver the row again, so no run ends missing from the index.
 */
export class RunIndexBuffer extends stepwise.RunIndexBuffer {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "RunIndexBuffer"));
  }

  override async indexRows(rows: Parameters<stepwise.RunIndexBuffer["indexRows"]>[0]): Promise<void> {
    noteSentRows(rows);
    if (indexFault()) throw new Error("injected fault: the hotspots harness fails 1 index delivery in 20");
    return super.indexRows(rows);
  }
}
export class EventSweeper extends stepwise.EventSweeper {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "EventSweeper"));
  }
}
export class EventShard extends stepwise.EventShard {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "EventShard"));
  }
}
export class IdempotencyShard extends stepwise.IdempotencyShard {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "IdempotencyShard"));
  }
}
export class CronScheduler extends stepwise.CronScheduler {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "CronScheduler"));
  }
}
export class WaitIndex extends stepwise.WaitIndex {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "WaitIndex"));
  }
}
export class BulkJob extends stepwise.BulkJob {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "BulkJob"));
  }
}
export class ConcurrencyLimiter extends stepwise.ConcurrencyLimiter {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "ConcurrencyLimiter"));
  }
}
export class FlowGate extends stepwise.FlowGate {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "FlowGate"));
  }
}
export class EventCollector extends stepwise.EventCollector {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "EventCollector"));
  }
}

const handlers = stepwise.createStepwise({ functions: hotspotFunctions });

/**
 * The counters are read and cleared through the Worker (`/__hotspots`), so the test sees the very
 * module state the objects and handlers write to.
 */
async function counters(request: Request, env: Env): Promise<Response | undefined> {
  const { pathname } = new URL(request.url);
  if (pathname === "/__hotspots") return Response.json(snapshot());
  // How many runs the index holds and how many are still queued or running: read past the
  // counting env, so watching the workload does not count as its load.
  if (pathname === "/__hotspots/runs") {
    const counts = await countRuns(env, {});
    const runs = Object.values(counts).reduce((sum, n) => sum + n, 0);
    return Response.json({ runs, active: (counts.queued ?? 0) + (counts.running ?? 0) });
  }
  if (pathname === "/__hotspots/sent-rows") return Response.json(sentIndexRows());
  if (pathname === "/__hotspots/reset") {
    resetCounts();
    return new Response(null, { status: 204 });
  }
  return undefined;
}

export default {
  fetch: async (request, env, ctx) =>
    (await counters(request, env)) ?? handlers.fetch(request, counted(env, "worker"), ctx),
  queue: (batch, env, ctx) => handlers.queue(batch, counted(env, "worker"), ctx),
  scheduled: (controller, env, ctx) => handlers.scheduled(controller, counted(env, "worker"), ctx),
} satisfies ExportedHandler<Env>;
