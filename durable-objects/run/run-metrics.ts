/**
 * A run's metrics as OTLP deltas, from the history entries after the last export (the same window
 * as its spans, telemetry-export.ts): its step attempts' durations by outcome, its start, and its
 * end with its duration. Each RunObject reports only what it did, so the collector adds them up
 * and nothing in Stepwise is a hot counter.
 */
import { leOf, RUN_LE_SECONDS, STEP_LE_SECONDS } from "../../src/core/run-index/step-durations.ts";
import type { MetricData } from "../../src/core/telemetry/otlp-metrics.ts";
import type { HistoryEntry } from "./history.ts";
import { attemptOf } from "./step-durations.ts";

const ENDED = { "run.completed": "completed", "run.failed": "failed", "run.cancelled": "cancelled" } as const;

/** Counts a duration in ms into a histogram's bucket counts (the last count: above every bound). */
const countInto = (counts: number[], bounds: readonly number[], ms: number): void => void counts[leOf(ms, bounds)]!++;

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
      const ms = Math.max(0, entry.at - created.at);
      countInto(counts, RUN_LE_SECONDS, ms);
      runDuration.points.push({ attributes: status, startMs, atMs: now, counts, sum: ms / 1_000 });
    }
    const attempt = attemptOf(entry);
    if (!attempt) continue;
    const histogram = steps.get(attempt.outcome) ?? { counts: STEP_LE_SECONDS.map(() => 0).concat(0), sum: 0 };
    countInto(histogram.counts, STEP_LE_SECONDS, attempt.ms);
    histogram.sum += attempt.ms / 1_000;
    steps.set(attempt.outcome, histogram);
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
