/**
 * A run's metrics as OTLP deltas, from the history entries after the last export (the same window
 * as its spans, telemetry-export.ts): its step attempts' durations by outcome, its start, and its
 * end with its duration. Each RunObject reports only what it did, so the collector adds them up
 * and nothing in Stepwise is a hot counter.
 */
import { STEP_LE_SECONDS } from "../../src/core/run-index/step-durations.ts";
import type { MetricData } from "../../src/core/telemetry/otlp-metrics.ts";
import type { HistoryEntry } from "./history.ts";

/** Upper bounds (seconds) of the run duration histogram's buckets. */
export const RUN_LE_SECONDS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3_600, 21_600, 86_400] as const;

const ENDED = { "run.completed": "completed", "run.failed": "failed", "run.cancelled": "cancelled" } as const;

/** Counts one value into a histogram's bucket counts (the last count: above every bound). */
function countInto(counts: number[], bounds: readonly number[], seconds: number): void {
  const index = bounds.findIndex((le) => seconds <= le);
  counts[index === -1 ? bounds.length : index]!++;
}

/** The metrics of `history`'s entries after `afterSeq`, reported at `now`. */
export function runMetrics(history: HistoryEntry[], afterSeq: number, now: number): MetricData[] {
  const [created] = history;
  if (!created || created.type !== "run.created") return [];
  const fresh = history.filter((entry) => entry.seq > afterSeq);
  const first = fresh[0];
  if (!first) return [];
  const fn = { "stepwise.function_id": created.functionId };
  const startMs = Math.min(first.at, now);
  const steps = new Map<string, { counts: number[]; sum: number }>();
  const started: MetricData = {
    kind: "sum",
    name: "stepwise.runs.started",
    unit: "{run}",
    description: "Runs that started.",
    temporality: "delta",
    points: [],
  };
  const ended: MetricData = {
    kind: "sum",
    name: "stepwise.runs.ended",
    unit: "{run}",
    description: "Runs that ended, by status.",
    temporality: "delta",
    points: [],
  };
  const runDuration: MetricData = {
    kind: "histogram",
    name: "stepwise.run.duration",
    unit: "s",
    description: "Durations of runs that ended, creation to end, by status.",
    bounds: RUN_LE_SECONDS,
    points: [],
  };
  for (const entry of fresh) {
    if (entry.type === "run.started") started.points.push({ attributes: fn, startMs, atMs: now, value: 1 });
    if (entry.type === "run.completed" || entry.type === "run.failed" || entry.type === "run.cancelled") {
      const status = { ...fn, "stepwise.status": ENDED[entry.type] };
      ended.points.push({ attributes: status, startMs, atMs: now, value: 1 });
      const counts = RUN_LE_SECONDS.map(() => 0).concat(0);
      const seconds = Math.max(0, entry.at - created.at) / 1_000;
      countInto(counts, RUN_LE_SECONDS, seconds);
      runDuration.points.push({ attributes: status, startMs, atMs: now, counts, sum: seconds });
    }
    const attempt =
      (entry.type === "step.completed" && entry.op === "run" && !entry.replayedFrom) ||
      (entry.type === "step.failed" && entry.op === "run") ||
      entry.type === "step.retrying";
    if (!attempt || entry.startedAt === undefined) continue;
    const outcome = entry.type.slice("step.".length);
    const histogram = steps.get(outcome) ?? { counts: STEP_LE_SECONDS.map(() => 0).concat(0), sum: 0 };
    const seconds = Math.max(0, entry.at - entry.startedAt) / 1_000;
    countInto(histogram.counts, STEP_LE_SECONDS, seconds);
    histogram.sum += seconds;
    steps.set(outcome, histogram);
  }
  const stepDuration: MetricData = {
    kind: "histogram",
    name: "stepwise.step.duration",
    unit: "s",
    description: "Durations of step attempts (not sleeps or waits), by outcome: completed, failed, retrying.",
    bounds: STEP_LE_SECONDS,
    points: [...steps].map(([outcome, { counts, sum }]) => ({
      attributes: { ...fn, "stepwise.outcome": outcome },
      startMs,
      atMs: now,
      counts,
      sum,
    })),
  };
  return [started, ended, runDuration, stepDuration];
}
