/**
 * Child runs, from both ends: a parent's invoke step starts them (ids derived from the parent,
 * the step, the attempt and the position, so starting twice is harmless), and a child that has
 * ended reports how to the parent's step until the parent has it.
 */
import { runTraceparent } from "./trace.ts";
import type { ChildOutcome } from "../../sdk/protocol.ts";
import type { Env } from "../../src/core/env.ts";
import { derivedId } from "../../src/core/lib/ids.ts";
import { INVOKED_EVENT } from "../../sdk/system-events.ts";
import { startRun } from "../../src/core/runs/start.ts";
import { mergeTags } from "../../sdk/tags.ts";
import type { RunState, StepState } from "./state.ts";
import { childrenReached, decideChildren, type EngineConfig } from "./engine.ts";
import type { HistoryEvent } from "./history.ts";
import type { PayloadStore } from "./payloads.ts";
import { runObject } from "../../src/core/objects.ts";
import { namedError } from "../../sdk/error-names.ts";

/** The run ids of `step`'s children for its current attempt, in order: the same on every call. */
export function childRunIds(parent: RunState, step: StepState): Promise<string[]> {
  const children = step.invoke?.children ?? [];
  return Promise.all(
    children.map((_, index) =>
      derivedId(parent.createdAt, parent.runId, step.id, String(step.failures), String(index)),
    ),
  );
}

const tagsOf = (tags: string[]) => (tags.length > 0 ? { tags } : {});

/** Starts the children named in `step.childRunIds`; each keeps its parent's tags. */
export async function startChildRuns(env: Env, parent: RunState, step: StepState): Promise<void> {
  const children = step.invoke?.children ?? [];
  const ids = step.childRunIds ?? [];
  await Promise.all(
    children.map(async (child, index) => {
      const runId = ids[index];
      if (!runId) return;
      await startRun(env, {
        runId,
        functionId: child.functionId,
        events: [
          {
            id: runId,
            name: INVOKED_EVENT,
            data: child.data,
            ts: Date.now(),
            // The child's spans go under its parent run's span, in the parent's trace.
            traceparent: runTraceparent(parent),
          },
        ],
        parentRunId: parent.runId,
        parentStepId: step.id,
        ...tagsOf(mergeTags(parent.tags, child.tags)),
      });
    }),
  );
}

/** How an ended child run reports itself to its parent, or undefined while it runs. */
function childOutcome(state: RunState): ChildOutcome | undefined {
  if (state.terminal === "completed")
    return state.outputClaim
      ? { ok: true, runId: state.runId, output: null, claim: state.outputClaim }
      : { ok: true, runId: state.runId, output: state.output };
  if (state.terminal === "failed")
    return { ok: false, runId: state.runId, error: state.error ?? { name: "Error", message: "the child run failed" } };
  if (state.terminal === "cancelled")
    return {
      ok: false,
      runId: state.runId,
      error: namedError("RunCancelledError", `Child run ${state.runId} was cancelled`),
    };
  if (state.terminal === "skipped")
    return {
      ok: false,
      runId: state.runId,
      error: state.error ?? namedError("RunSkippedError", `Child run ${state.runId} was skipped`),
    };
  return undefined;
}

/** What records a child's end, unless the step no longer awaits it (or has it already). */
export function childEndedEvent(
  state: RunState | undefined,
  stepId: string,
  outcome: ChildOutcome,
): HistoryEvent | undefined {
  const step = state?.steps.get(stepId);
  if (!state || state.terminal || step?.status !== "invoking") return undefined;
  if (!step.childRunIds?.includes(outcome.runId) || step.childOutcomes?.[outcome.runId]) return undefined;
  return { type: "step.child-ended", stepId, name: step.name, outcome };
}

/**
 * What an invoke step records once its children have all ended: their results kept in R2 read
 * back, the step's own result stashed under this run when large (so the child's retention cannot
 * take it from this run's replays), then decided on the run as it is after those awaits: it may
 * have moved on meanwhile (cancelled, or the step ended through another child's report).
 */
export async function settleChildren(
  load: () => RunState | undefined,
  payloads: PayloadStore,
  stepId: string,
  config: EngineConfig,
): Promise<HistoryEvent[]> {
  const now = Date.now();
  const current = load();
  const outcomes = current?.steps.get(stepId)?.childOutcomes;
  if (!current || !outcomes || !childrenReached(current, stepId, now)) return [];
  const reached = childrenReached(current, stepId, now, await payloads.childValues(outcomes));
  const stashed = reached && (await payloads.stashStep(reached));
  const fresh = load();
  if (!fresh || !childrenReached(fresh, stepId, now)) return [];
  return decideChildren(fresh, stepId, config, { now, random: Math.random }, stashed);
}

/** Reports an ended child to its parent; true once the parent has it (or there is no parent step). */
export async function notifyParent(env: Env, state: RunState): Promise<boolean> {
  const outcome = childOutcome(state);
  if (!outcome || !state.parentRunId || !state.parentStepId || state.parentNotified) return false;
  await runObject(env, state.parentRunId).childEnded(state.parentStepId, outcome);
  return true;
}

/** Children of the run's invoke steps that have not ended: what a run that ends must not leave behind. */
function openChildRunIds(state: RunState): string[] {
  return [...state.steps.values()].flatMap((step) =>
    step.status === "invoking" ? (step.childRunIds ?? []).filter((id) => !step.childOutcomes?.[id]) : [],
  );
}

/**
 * Cancels the children still open when their parent has ended (as Temporal's default parent-close
 * policy does): nothing would wait for their results. Each child's history says why.
 */
export async function cancelOpenChildren(env: Env, state: RunState): Promise<void> {
  const ids = state.terminal ? openChildRunIds(state) : [];
  const results = await Promise.allSettled(
    ids.map((id) =>
      runObject(env, id).cancel(`cancelled because its parent run ${state.runId} ended (${state.terminal})`),
    ),
  );
  const failed = results.filter((result) => result.status === "rejected");
  if (failed.length > 0)
    console.error(`stepwise: ${failed.length} child run(s) of ${state.runId} could not be cancelled`, failed[0]);
}
