/**
 * Counting a run's step attempts into its step duration histogram as its history is folded: each
 * attempt that ran code here (completed, failed or retrying, with its start recorded), not the
 * steps a replay copied from the run it replays, nor sleeps, waits and invokes, whose "duration"
 * is time spent waiting. The ended run's index row carries the counts (run-index.ts).
 */
import { countDuration, type StepDurations } from "../../src/core/run-index/step-durations.ts";
import type { HistoryEntry } from "./history.ts";

/** Adds `entry`'s attempt, if it is one, to `durations` (made on the first). */
export function countAttempt(durations: StepDurations | undefined, entry: HistoryEntry): StepDurations | undefined {
  switch (entry.type) {
    case "step.completed":
      if (entry.replayedFrom || entry.op !== "run") return durations;
      break;
    case "step.failed":
      if (entry.op !== "run") return durations;
      break;
    case "step.retrying":
      break;
    default:
      return durations;
  }
  if (entry.startedAt === undefined) return durations;
  const counted = durations ?? [];
  countDuration(counted, Math.max(0, entry.at - entry.startedAt));
  return counted;
}
