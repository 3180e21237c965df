/**
 * Counting a run's step attempts into its step duration histogram as its history is folded: each
 * attempt that ran code here (completed, failed or retrying, with its start recorded), not the
 * steps a replay copied from the run it replays, nor sleeps, waits and invokes, whose "duration"
 * is time spent waiting. The ended run's index row carries the counts (run-index.ts).
 */
import { countDuration, type StepDurations } from "../../src/core/run-index/step-durations.ts";
import type { HistoryEntry } from "./history.ts";

/** What an attempt ended in. */
export type AttemptOutcome = "completed" | "failed" | "retrying";

/** `entry`'s step attempt (how it ended, how long it ran), or undefined when it is not one. */
export function attemptOf(entry: HistoryEntry): { outcome: AttemptOutcome; ms: number } | undefined {
  switch (entry.type) {
    case "step.completed":
      if (entry.replayedFrom || entry.op !== "run") return undefined;
      break;
    case "step.failed":
      if (entry.op !== "run") return undefined;
      break;
    case "step.retrying":
      break;
    default:
      return undefined;
  }
  if (entry.startedAt === undefined) return undefined;
  return { outcome: entry.type.slice("step.".length) as AttemptOutcome, ms: Math.max(0, entry.at - entry.startedAt) };
}

/** Adds `entry`'s attempt, if it is one, to `durations` (made on the first). */
export function countAttempt(durations: StepDurations | undefined, entry: HistoryEntry): StepDurations | undefined {
  const attempt = attemptOf(entry);
  if (!attempt) return durations;
  const counted = durations ?? [];
  countDuration(counted, attempt.ms);
  return counted;
}
