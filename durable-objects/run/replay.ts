/**
 * Replay: a new run of an ended run's function, with the same event (or its data edited), that
 * keeps the old run's results up to its first failed step and re-runs from there; or up to a step
 * chosen (`fromStep`); or nothing (`fromStart`). Pure: which steps the new run starts with.
 */
import { z } from "zod";
import { isReplayable } from "../../sdk/run-status.ts";
import type { SeededStep } from "../../src/core/runs/start.ts";
import type { StepOp } from "../../sdk/protocol.ts";
import type { RunState } from "./state.ts";

/** Where a replay starts again: its first failed step (neither), the start, or a step chosen. */
export const replayFromSchema = z.object({
  fromStart: z.boolean(),
  fromStep: z.string().max(1_000).optional(),
  /** The event's data is edited (a completed run may then be replayed). */
  edited: z.boolean().optional(),
});
export type ReplayFrom = z.input<typeof replayFromSchema>;

/** Why a run cannot be replayed as asked, or undefined when it can. */
export function replayRefusal(state: RunState, from: ReplayFrom = { fromStart: false }): string | undefined {
  if (from.fromStep !== undefined && !state.steps.has(from.fromStep))
    return `Run ${state.runId} has no step "${from.fromStep.slice(0, 200)}"`;
  if (state.terminal !== undefined && isReplayable(state.terminal)) return undefined;
  const chosen = from.fromStep !== undefined || from.edited === true;
  if (state.terminal === "completed" && chosen) return undefined;
  return `Run ${state.runId} is ${state.terminal ?? "still running"}; only failed or cancelled runs can be replayed${
    state.terminal === "completed" ? " (a completed one from a step, or with new data)" : ""
  }`;
}

/**
 * The completed steps the replay keeps: those the old run reached before its first failed (or
 * unfinished) step, or before `fromStep`, in the order it reached them. Later steps run again, as
 * does everything with `fromStart`.
 */
export function keptSteps(state: RunState, from: ReplayFrom | boolean): SeededStep[] {
  const { fromStart, fromStep } = typeof from === "boolean" ? { fromStart: from, fromStep: undefined } : from;
  if (fromStart) return [];
  const kept: SeededStep[] = [];
  const ordered = [...state.steps.values()].sort((a, b) => a.firstSeenAt - b.firstSeenAt);
  for (const step of ordered) {
    if (step.id === fromStep) break;
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

/** The plan for replaying `state` (see {@link replayRefusal} for when it is refused). */
export function replayPlanOf(state: RunState, from: ReplayFrom): ReplayPlan {
  const refused = replayRefusal(state, from) ?? null;
  // New data reruns from the start unless a step is named: kept results came from the old data.
  const keepFrom = from.edited && from.fromStep === undefined ? { fromStart: true } : from;
  // Outputs are stored as JSON, so they are JSON values when read back.
  const steps = keptSteps(state, keepFrom).map(({ metadata, ...step }) => ({
    ...step,
    output: step.output as StoredJson,
    ...(metadata ? { metadata: metadata as StoredJson[] } : {}),
  }));
  const kept = { functionId: state.functionId, events: state.events, tags: state.tags ?? [] };
  return { refused, ...kept, steps: refused ? [] : steps };
}
