/**
 * The run as the API and the dashboard show it (its schema is public, in sdk/runs.ts), derived
 * from its state.
 */
import { runViewSchema, type RunView, type StepView } from "../../sdk/runs.ts";
import type { RunState, StepState } from "./state.ts";
import { runStatus } from "./state.ts";
import { nextWake } from "./timers.ts";
import { tokenViews } from "./tokens.ts";
import { waitParts } from "../../sdk/protocol.ts";

export { runViewSchema, type RunView };

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export function stepView(step: StepState): StepView {
  return {
    id: step.id,
    name: step.name,
    op: step.op,
    status: step.status,
    attempts: step.status === "completed" ? step.failures + 1 : step.failures,
    startedAt: iso(step.startedAt),
    endedAt: iso(step.endedAt),
    durationMs: step.startedAt !== undefined && step.endedAt !== undefined ? step.endedAt - step.startedAt : undefined,
    output: step.output,
    error: step.error,
    sleepUntil: iso(step.until),
    retryAt: step.status === "retrying" ? iso(step.retryAt) : undefined,
    tokenId: step.tokenId,
    ...(step.wait && step.op === "wait"
      ? {
          wait: {
            events: waitParts(step.wait).map((part, index) => ({
              event: part.event,
              ...(part.if !== undefined ? { if: part.if } : {}),
              arrived:
                step.arrived !== undefined
                  ? (step.arrived[index] ?? null) !== null
                  : step.status === "completed" && step.output !== null && step.output !== undefined,
            })),
            mode: step.wait.mode ?? "any",
            until: new Date(step.wait.until).toISOString(),
          },
        }
      : {}),
    ...(step.childRunIds?.length ? { childRunIds: step.childRunIds } : {}),
    ...(step.claim ? { output: undefined, outputBytes: step.claim.bytes } : {}),
    ...(step.logs?.length ? { logs: step.logs.map((line) => ({ ...line, at: new Date(line.at).toISOString() })) } : {}),
  };
}

/** A run with its steps, in the order the function reached them; `publicUrl` starts token URLs. */
export function runView(state: RunState, now: number, publicUrl?: string): RunView {
  return {
    id: state.runId,
    functionId: state.functionId,
    status: runStatus(state),
    /** Why a queued run waits (a concurrency slot, a throttle). */
    queuedReason: state.queuedReason,
    heldReason: state.heldReason,
    version: state.version,
    heldSince: iso(state.heldAt),
    attempt: state.attempt,
    event: state.events[0],
    events: state.events,
    output: state.outputClaim ? undefined : state.output,
    ...(state.outputClaim ? { outputBytes: state.outputClaim.bytes } : {}),
    error: state.error,
    parentRunId: state.parentRunId,
    replayOf: state.replayOf,
    failureRunId: state.failureRunId,
    createdAt: iso(state.createdAt),
    startAt: iso(state.startAt),
    updatedAt: iso(state.updatedAt),
    endedAt: iso(state.endedAt),
    nextWakeAt: iso(nextWake(state, now)),
    steps: [...state.steps.values()].map(stepView),
    ...(state.tokens.size > 0 ? { tokens: tokenViews(state, now, publicUrl) } : {}),
    ...(Object.keys(state.metadata).length > 0 ? { metadata: state.metadata } : {}),
    ...(state.tags?.length ? { tags: state.tags } : {}),
  };
}
