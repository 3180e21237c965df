/**
 * Metrics in Prometheus's text format (`GET /v1/metrics`, behind the API key), read from what
 * Stepwise already keeps, so a scrape adds no write to any run: the EventShards' counts of events
 * accepted and not yet routed, the run-index shards' runs per function and status and their
 * duration histograms (runs created in the last 24 hours), step attempt durations (of runs that
 * ended in the last 24 hours), the backlog of queued and paused runs, and which functions are paused.
 * A scrape reads every shard, so its answer is kept for {@link METRICS_TTL_MS} per isolate.
 */
import type { Env } from "../env.ts";
import { listFunctions } from "../functions/catalog.ts";
import { eventFigures } from "../events/figures.ts";
import { bucketValue, type ShardStats } from "../run-index/histogram.ts";
import { shardStats } from "../run-index/read.ts";
import { leOf, mergeDurations, RUN_LE_SECONDS, STEP_LE_SECONDS } from "../run-index/step-durations.ts";

/** How long one isolate answers scrapes from its last reading. */
export const METRICS_TTL_MS = 10_000;
/** The window the run figures cover. */
const WINDOW_MS = 24 * 3_600_000;

let cached: { at: number; text: string } | undefined;

/** Escapes a label value as the text format wants (backslash, quote, newline). */
const label = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** One metric family: its help, type and samples. */
function family(name: string, type: "counter" | "gauge" | "histogram", help: string, samples: string[]): string {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples].join("\n");
}

/**
 * One function's histogram samples: cumulative counts per bound from each bucket's own count
 * (`perBucket[bounds.length]`: past every bound), the sum in seconds, and the count.
 */
function histogramLines(name: string, fn: string, bounds: readonly number[], perBucket: number[], sum: number) {
  const fnLabel = `function="${label(fn)}"`;
  let running = 0;
  const cumulative = bounds.map((le, index) => {
    running += perBucket[index] ?? 0;
    return `${name}_bucket{${fnLabel},le="${le}"} ${running}`;
  });
  const count = running + (perBucket[bounds.length] ?? 0);
  return [
    ...cumulative,
    `${name}_bucket{${fnLabel},le="+Inf"} ${count}`,
    `${name}_sum{${fnLabel}} ${sum.toFixed(3)}`,
    `${name}_count{${fnLabel}} ${count}`,
  ];
}

/** A function's run durations (the shards' 2% buckets) in the metric's fixed buckets. */
function runHistogram(fn: string, answers: ShardStats[]): string[] {
  const perBucket = [...RUN_LE_SECONDS.map(() => 0), 0];
  let sum = 0;
  for (const answer of answers)
    for (const { bucket, n } of answer.durations) {
      const ms = bucketValue(bucket);
      perBucket[leOf(ms, RUN_LE_SECONDS)]! += n;
      sum += (ms / 1_000) * n;
    }
  return histogramLines("stepwise_run_duration_seconds", fn, RUN_LE_SECONDS, perBucket, sum);
}

/** A function's step attempt durations merged over its shards. */
function stepHistogram(fn: string, answers: ShardStats[]): string[] {
  const perBucket = [...STEP_LE_SECONDS.map(() => 0), 0];
  let sumMs = 0;
  for (const bucket of mergeDurations(answers.map((answer) => answer.steps ?? []))) {
    perBucket[bucket.le]! += bucket.n;
    sumMs += bucket.sumMs;
  }
  return histogramLines("stepwise_step_duration_seconds", fn, STEP_LE_SECONDS, perBucket, sumMs / 1_000);
}

/** A function's runs waiting now: queued (for a concurrency slot, a throttle…) and held paused. */
function backlog(fn: string, answers: ShardStats[]): string[] {
  return Object.entries(waitingOf(answers)).map(
    ([state, n]) => `stepwise_runs_waiting{function="${label(fn)}",state="${state}"} ${n}`,
  );
}

/** What the metrics are read from: the EventShards' counts, the run-index shards' figures, the catalogue. */
export async function readFigures(env: Env, now = Date.now()) {
  const [events, runs, functions] = await Promise.all([
    eventFigures(env),
    shardStats(env, now - WINDOW_MS),
    listFunctions(env),
  ]);
  return { events, runs, functions };
}

/** A function's runs waiting now, over its shards. */
export function waitingOf(answers: ShardStats[]): { queued: number; paused: number } {
  const total = { queued: 0, paused: 0 };
  for (const answer of answers) {
    total.queued += answer.backlog?.queued ?? 0;
    total.paused += answer.backlog?.paused ?? 0;
  }
  return total;
}

/** The metrics text, from the last reading when it is fresh. */
export async function metricsText(env: Env, now = Date.now()): Promise<string> {
  if (cached && now - cached.at < METRICS_TTL_MS) return cached.text;
  const { events, runs, functions } = await readFigures(env, now);
  const byStatus = [...runs].flatMap(([fn, answers]) => {
    const totals = new Map<string, number>();
    for (const answer of answers)
      for (const [status, n] of Object.entries(answer.byStatus)) totals.set(status, (totals.get(status) ?? 0) + n);
    return [...totals].map(([status, n]) => `stepwise_runs{function="${label(fn)}",status="${status}"} ${n}`);
  });
  const text = [
    family("stepwise_events_accepted_total", "counter", "Events accepted (new ids), ever.", [
      `stepwise_events_accepted_total ${events.accepted}`,
    ]),
    family("stepwise_events_unrouted", "gauge", "Events accepted and not routed yet.", [
      `stepwise_events_unrouted ${events.unrouted}`,
    ]),
    family("stepwise_events_routing_abandoned", "gauge", "Events whose routing was given up, waiting for a reroute.", [
      `stepwise_events_routing_abandoned ${events.abandoned}`,
    ]),
    family("stepwise_runs", "gauge", "Runs created in the last 24 hours, by function and current status.", byStatus),
    family(
      "stepwise_run_duration_seconds",
      "histogram",
      "Durations of completed runs created in the last 24 hours, creation to end.",
      [...runs].flatMap(([fn, answers]) => runHistogram(fn, answers)),
    ),
    family(
      "stepwise_step_duration_seconds",
      "histogram",
      "Durations of step attempts (completed, failed or retried; not sleeps or waits) of runs that ended in the last 24 hours.",
      [...runs].flatMap(([fn, answers]) => stepHistogram(fn, answers)),
    ),
    family(
      "stepwise_runs_waiting",
      "gauge",
      "Runs waiting now, by function: queued for a concurrency slot, a throttle or a rate limit, or held while the function is paused.",
      [...runs].flatMap(([fn, answers]) => backlog(fn, answers)),
    ),
    family(
      "stepwise_function_paused",
      "gauge",
      "1 for a function an operator paused or is draining (mode label).",
      functions.flatMap((fn) =>
        fn.control ? [`stepwise_function_paused{function="${label(fn.id)}",mode="${fn.control.mode}"} 1`] : [],
      ),
    ),
  ].join("\n\n");
  cached = { at: now, text: `${text}\n` };
  return cached.text;
}
