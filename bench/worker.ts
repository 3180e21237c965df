/**
 * The benchmark Worker: runs one scenario per request, on Stepwise or on Cloudflare Workflows,
 * inside this workerd, and answers once every run has finished. `bench/run.mjs` drives it and
 * times each request from outside, on Node's clock: inside workerd, Date.now() only advances on
 * I/O, so an engine that makes none between steps would look faster than it is.
 */
import { Hono } from "hono";
import type { Env } from "../src/core/env.ts";
import { INVOKED_EVENT } from "../sdk/system-events.ts";
import { newId } from "../src/core/lib/ids.ts";
import { runObject } from "../src/core/objects.ts";
import { startRun } from "../src/core/runs/start.ts";
import { createStepwise } from "../src/worker.ts";
import { processItems } from "../examples/process-items.ts";
import { benchFunctions } from "./functions.ts";
import { EFFECTS_TABLE, limitedInFlight, soakFunctions, useEffectsDb } from "./soak-functions.ts";
import type { RawCeiling } from "./raw-ceiling.ts";
import type { Cursor } from "../src/core/db/cursor.ts";
import { indexedFunctionIds } from "../src/core/run-index/functions.ts";
import { listRuns } from "../src/core/run-index/read.ts";

export {
  BulkJob,
  ConcurrencyLimiter,
  CronScheduler,
  EventCollector,
  FlowGate,
  IdempotencyShard,
  EventShard,
  EventSweeper,
  RealtimeStream,
  RunIndexBuffer,
  RunObject,
  WaitIndex,
} from "../src/worker.ts";
export { RawCeiling } from "./raw-ceiling.ts";
export { SequentialWorkflow, SleepWorkflow, ThreeStepWorkflow } from "./functions.ts";

// process-items is the examples' fan-out, measured as the headline pattern (bench/run.mjs).
const stepwiseWorker = createStepwise({ functions: [...benchFunctions, ...soakFunctions, processItems] });

interface BenchEnv extends Env {
  RAW: DurableObjectNamespace<RawCeiling>;
  /** The remote app (bench/app-worker.ts), asked for the bytes of a run's calls. */
  BENCH_APP: Fetcher;
  WF_SEQUENTIAL: Workflow<{ steps: number }>;
  WF_THREE: Workflow;
  WF_SLEEP: Workflow;
}

type Scenario = "sequential" | "three" | "sleep" | "limited";
interface Outcome {
  done: boolean;
  failed: boolean;
  output?: unknown;
  /** Stepwise's limiter scenario: the run's own time, from run.created to its end in its history. */
  runMs?: number;
}
interface Engine {
  start(scenario: Scenario, params: { steps: number }): Promise<() => Promise<Outcome>>;
}

const FUNCTION_IDS: Record<Scenario, string> = {
  sequential: "bench-sequential",
  three: "bench-three",
  sleep: "bench-sleep",
  limited: "bench-limited",
};

/** Stepwise; `functionId` runs the scenario as another function (a remote app's copy of it). */
function stepwiseEngine(env: BenchEnv, functionId?: string): Engine {
  return {
    async start(scenario, params) {
      const runId = newId();
      const stub = runObject(env, runId);
      const event = { id: newId(), name: INVOKED_EVENT, data: params, ts: Date.now() };
      await startRun(env, { runId, functionId: functionId ?? FUNCTION_IDS[scenario], events: [event] });
      return async () => {
        const status = await stub.getStatus();
        const done = status?.status === "completed" || status?.status === "failed";
        const history = done && scenario === "limited" ? await stub.getHistory() : null;
        const runMs = history ? history.at(-1)!.at - history[0]!.at : undefined;
        return {
          done,
          failed: status?.status === "failed",
          output: status?.output,
          ...(runMs !== undefined ? { runMs } : {}),
        };
      };
    },
  };
}

function workflowsEngine(env: BenchEnv): Engine {
  // The limiter scenario is Stepwise's alone: a Workflow has no concurrency limit to measure.
  const bindings: Partial<Record<Scenario, Workflow<{ steps: number }> | Workflow>> = {
    sequential: env.WF_SEQUENTIAL,
    three: env.WF_THREE,
    sleep: env.WF_SLEEP,
  };
  return {
    async start(scenario, params) {
      const binding = bindings[scenario];
      if (!binding) throw new Error(`No Workflow for the "${scenario}" scenario`);
      const instance = await binding.create({ params });
      return async () => {
        const status = await instance.status();
        const failed = status.status === "errored" || status.status === "terminated";
        return { done: status.status === "complete" || failed, failed, output: status.output };
      };
    },
  };
}

/** Polls every unfinished run at once, each round `pollMs` apart, until all have finished. */
async function waitAll(checks: (() => Promise<Outcome>)[], pollMs: number): Promise<Outcome[]> {
  const results = new Array<Outcome | undefined>(checks.length);
  const deadline = Date.now() + 180_000;
  while (results.includes(undefined)) {
    if (Date.now() > deadline) throw new Error("runs did not finish within 180 s");
    await Promise.all(
      checks.map(async (check, index) => {
        if (results[index]) return;
        const outcome = await check();
        if (outcome.done) results[index] = outcome;
      }),
    );
    if (results.includes(undefined)) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const outcomes = results.filter((outcome): outcome is Outcome => outcome !== undefined);
  if (outcomes.some((outcome) => outcome.failed))
    throw new Error(`a run failed: ${JSON.stringify(outcomes.find((o) => o.failed))}`);
  return outcomes;
}

const app = new Hono<{ Bindings: BenchEnv }>();

app.get("/bench/raw", async (c) => {
  const steps = Number(c.req.query("steps") ?? 200);
  await c.env.RAW.get(c.env.RAW.newUniqueId()).run(steps);
  return c.json({ steps });
});

// The soak (bench/soak.mjs): its effects table, and what its functions measured.
app.get("/bench/soak/reset", async (c) => {
  await c.env.DB.prepare(EFFECTS_TABLE).run();
  await c.env.DB.prepare("DELETE FROM soak_effects").run();
  Object.assign(limitedInFlight, { now: 0, max: 0 });
  return c.json({ reset: true });
});

app.get("/bench/soak/stats", async (c) => {
  await c.env.DB.prepare(EFFECTS_TABLE).run();
  const { results } = await c.env.DB.prepare(
    "SELECT kind, count(*) AS total, count(DISTINCT key) AS keys FROM soak_effects GROUP BY kind",
  ).all<{ kind: string; total: number; keys: number }>();
  // Events that started more than one run of one function: none, if routing is idempotent.
  // Read from the run index's shards: every soak function's runs, page by page.
  const soak = (await indexedFunctionIds(c.env.DB)).filter((id) => id.startsWith("soak-"));
  const seen = new Map<string, number>();
  const byStatus: Record<string, number> = {};
  for (const functionId of soak) {
    let cursor: Cursor | undefined;
    do {
      const page = await listRuns(c.env, { functionId, cursor, limit: 1_000 });
      for (const run of page.items) {
        const key = `${run.functionId}\u0000${run.eventId}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
      }
      cursor = page.next;
    } while (cursor);
  }
  return c.json({
    maxLimitedInFlight: limitedInFlight.max,
    effects: Object.fromEntries(results.map((row) => [row.kind, { total: row.total, keys: row.keys }])),
    eventsWithTwoRuns: [...seen.values()].filter((n) => n > 1).length,
    runsByStatus: byStatus,
  });
});

// What a remote run's calls carried (counted by the app, bench/app-worker.ts).
app.get("/bench/app-bytes", async (c) =>
  c.json(await (await c.env.BENCH_APP.fetch(`http://app/bytes?runId=${c.req.query("runId") ?? ""}`)).json()),
);

app.get("/bench/:engine/:scenario", async (c) => {
  const engine =
    c.req.param("engine") === "workflows" ? workflowsEngine(c.env) : stepwiseEngine(c.env, c.req.query("function"));
  const scenario = c.req.param("scenario") as Scenario;
  const steps = Number(c.req.query("steps") ?? 200);
  const runs = Number(c.req.query("runs") ?? 1);
  const checks = await Promise.all(Array.from({ length: runs }, () => engine.start(scenario, { steps })));
  const outcomes = await waitAll(checks, runs > 1 ? 20 : 1);
  if (scenario === "sleep") {
    const late = outcomes.map((outcome) => {
      const { before, after } = outcome.output as { before: number; after: number };
      return after - before - 1_000;
    });
    return c.json({ lateMs: Math.max(...late) });
  }
  const runMs = outcomes[0]?.runMs;
  return c.json({ runs, steps, completed: outcomes.length, ...(runMs !== undefined ? { runMs } : {}) });
});

export default {
  fetch: (request, env, ctx) => {
    useEffectsDb(env.DB);
    return new URL(request.url).pathname.startsWith("/bench/")
      ? app.fetch(request, env, ctx)
      : stepwiseWorker.fetch(request, env, ctx);
  },
  queue: (batch, env, ctx) => {
    useEffectsDb(env.DB);
    return stepwiseWorker.queue(batch, env, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;
