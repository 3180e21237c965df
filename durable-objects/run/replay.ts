/**
 * Replay: a new run of a failed or cancelled run's function, with the same event, that keeps the
 * old run's results up to its first failed step and re-runs from there (or everything, with
 * `fromStart`). Pure: which steps the new run starts with.
 */
import { isReplayable } from "../../sdk/run-status.ts";
import type { SeededStep } from "../../src/core/runs/start.ts";
import type { StepOp } from "../../sdk/protocol.ts";
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
    // A token belongs to the run that made it (its id names that run): a replay makes its own.
    // A result kept in R2 belongs to its run's prefix, deleted with it: the replay runs that step again.
    if (step.status !== "completed" || step.op === "token" || step.tokenId !== undefined || step.claim) break;
    kept.push({
      stepId: step.id,
      name: step.name,
      op: step.op,
      output: step.output ?? null,
      ...(step.metadata ? { metadata: step.metadata } : {}),
    });
  }
  return kept;
}

/** A stored output as it crosses RPC: any JSON value (typed shallowly, so RPC types stay finite). */
export type StoredJson = string | number | boolean | null | object;

/** What a replay of a run starts with (see RunObject.replayPlan). */
export interface ReplayPlan {
  refused: string | null;
  functionId: string;
  events: StoredJson[];
  /** The replayed run's tags, which the replay keeps. */
  tags: string[];
  /** Typed shallowly (metadata changes as JSON), so the RPC type stays finite; the replay parses them. */
  steps: { stepId: string; name: string; op: StepOp; output: StoredJson; metadata?: StoredJson[] }[];
}

/** The plan for replaying `state`: refused unless the run failed or was cancelled. */
export function replayPlanOf(state: RunState, fromStart: boolean): ReplayPlan {
  const refused = replayRefusal(state) ?? null;
  // Outputs are stored as JSON, so they are JSON values when read back.
  const steps = keptSteps(state, fromStart).map(({ metadata, ...step }) => ({
    ...step,
    output: step.output as StoredJson,
    ...(metadata ? { metadata: metadata as StoredJson[] } : {}),
  }));
  const kept = { functionId: state.functionId, events: state.events, tags: state.tags ?? [] };
  return { refused, ...kept, steps: refused ? [] : steps };
}
