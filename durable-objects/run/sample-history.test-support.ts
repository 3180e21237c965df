/**
 * A small run's history for the telemetry tests (spans, metrics): a step that failed once and was
 * retried (with a log line), a sleep, and the run's end.
 */
import type { HistoryEntry } from "./history.ts";

export const history: HistoryEntry[] = [
  {
    type: "run.created",
    runId: "r1",
    functionId: "f",
    events: [{ id: "e", name: "n", data: {}, ts: 0 }],
    seq: 1,
    at: 1_000,
  },
  { type: "run.started", seq: 2, at: 1_000 },
  {
    type: "step.retrying",
    stepId: "a",
    name: "fetch",
    attempt: 0,
    startedAt: 1_100,
    error: { name: "Error", message: "flaky" },
    retryAt: 3_000,
    logs: [{ level: "warn", at: 1_150, message: "slow upstream" }],
    seq: 3,
    at: 1_200,
  },
  {
    type: "step.completed",
    stepId: "a",
    name: "fetch",
    op: "run",
    attempt: 1,
    startedAt: 3_000,
    output: 1,
    seq: 4,
    at: 3_100,
  },
  { type: "step.sleeping", stepId: "s", name: "nap", until: 9_000, seq: 5, at: 3_200 },
  { type: "step.woken", stepId: "s", name: "nap", early: false, seq: 6, at: 9_000 },
  { type: "run.completed", output: 1, seq: 7, at: 9_100 },
];
