/**
 * Replay: a new run of a failed or cancelled run's function, with the same event, that keeps the
 * old run's results up to its first failed step and re-runs from there (or everything, with
 * `fromStart`). Pure: which steps the new run starts with.
 */
import { isReplayable } from "../../sdk/run-status.ts";
import type { SeededStep } from "../../src/core/runs/start.ts";
import type { RunState } from "./state.ts";

/** Why a run cannot be replayed, or undefined when it can. */
export function replayRefusal(state: RunState): string | undefined {
  if (state.terminal !== undefined && isReplayable(state.terminal)) return undefined;
  return `Run ${state.runId} is ${state.terminal ?? "still running"}; only failed or cancelled runs can be replayed`;
}

/**
 * The completed steps the replay keeps: those the old run reached before its first failed (or
 * unfinished) step, in the order it reached them. Later steps run again, as does everything with
 * `fromStart`.
 */
export function keptSteps(state: RunState, fromStart: boolean): SeededStep[] {
  if (fromStart) return [];
  const kept: SeededStep[] = [];
  const ordered = [...state.steps.values()].sort((a, b) => a.firstSeenAt - b.firstSeenAt);
  for (const step of ordered) {
    if (step.status !== "completed") break;
    kept.push({ stepId: step.id, name: step.name, op: step.op, output: step.output ?? null });
  }
  return kept;
}
