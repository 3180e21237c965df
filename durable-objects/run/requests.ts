/**
 * The execution requests a drive sends: one call that replays the function (and may run the step
 * it reaches), one planned step at its attempt, or planned steps together (`runSteps`); and the
 * live hooks that record a batch's outcomes as they end. Pure: no ports, no I/O.
 */
import type { LiveHooks } from "../../sdk/execution.ts";
import { PROTOCOL_VERSION, type ExecutionRequest, type ExecutionResponse } from "../../sdk/protocol.ts";
import type { RunState, StepState } from "./state.ts";
import { runTraceparent } from "./trace.ts";

/** The request for `state`: a replay, or (with `runStep`) the run of that planned step at `attempt`. */
export function request(
  state: RunState,
  runStep: string | undefined,
  attempt: number,
  allowImmediate: boolean,
): ExecutionRequest {
  const [event] = state.events;
  if (!event) throw new Error(`Run ${state.runId} has no event`);
  return {
    version: PROTOCOL_VERSION,
    functionId: state.functionId,
    runId: state.runId,
    attempt,
    event,
    events: state.events,
    steps: state.memo,
    allowImmediate,
    traceparent: runTraceparent(state),
    ...(runStep !== undefined ? { runStep } : {}),
  };
}

/** Most planned steps one call runs together (the protocol's `runSteps` limit). */
export const MAX_STEPS_PER_CALL = 1_000;

/** `items` in runs of at most `size`. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The request that runs the planned steps `steps` together, at their first attempt. With
 * `atPlan`, it carries only the memo as it stood when they were planned (see {@link memoAtPlan}).
 */
export function requestMany(state: RunState, steps: StepState[], atPlan = false): ExecutionRequest {
  const base = request(state, undefined, 0, false);
  return { ...base, ...(atPlan ? { steps: memoAtPlan(state, steps) } : {}), runSteps: steps.map((step) => step.id) };
}

/**
 * The memo as it stood when the last of `steps` was planned: enough for a replay to reach them
 * all again (the replay that planned the last of them did, with this memo), without the outcomes
 * of steps that ended since, which a call running them does not need. This keeps each call of a
 * remote fan-out the same size however many of its steps have ended.
 */
export function memoAtPlan(state: RunState, steps: StepState[]): RunState["memo"] {
  let plannedAt = 0;
  for (const step of steps) plannedAt = Math.max(plannedAt, step.seenSeq);
  const memo: RunState["memo"] = {};
  for (const [id, entry] of Object.entries(state.memo)) {
    const endedSeq = state.steps.get(id)?.endedSeq;
    if (endedSeq !== undefined && endedSeq < plannedAt) memo[id] = entry;
  }
  return memo;
}

/**
 * Live hooks that record each step's outcome as it ends, and hand the call the next planned
 * steps as lanes free up (`more`); a batch is never cut short.
 */
export function recordAsItEnds(decideAll: (responses: ExecutionResponse[]) => void, more?: () => string[]): LiveHooks {
  return {
    ran: (step) => (decideAll([{ type: "steps", steps: [step] }]), "recorded"),
    proceed: () => true,
    ...(more ? { more } : {}),
  };
}

/**
 * The sliding window of one batch call: each time one of its steps ends, the next `waiting`
 * steps go into the lanes that are free (`lanes()` held, less `reserved` for the round's other
 * calls, less those still running), while `goOn()` holds. Each waiting step is looked at once and
 * skipped unless still planned, so a fan-out of n steps costs O(n) here, not a scan per step.
 */
export function slidingWindow(
  batch: StepState[],
  waiting: StepState[],
  window: { lanes: () => number; reserved: number; goOn: () => boolean; state: () => RunState },
): () => string[] {
  let running = batch.length;
  let nextIndex = 0;
  return () => {
    running--;
    if (!window.goOn()) return [];
    const steps = window.state().steps;
    const started: string[] = [];
    while (nextIndex < waiting.length && running < window.lanes() - window.reserved) {
      const step = waiting[nextIndex++]!;
      if (steps.get(step.id)?.status !== "planned") continue;
      started.push(step.id);
      running++;
    }
    return started;
  };
}
