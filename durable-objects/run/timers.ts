/**
 * Time in a run: sleeps and retry backoffs. Every timer is derived from the state, so there is
 * no timer table to drift from the history, and the single Durable Object alarm is always set to
 * the earliest of them. An alarm that fires twice or early finds nothing due and changes nothing.
 */
import type { HistoryEvent } from "./history.ts";
import type { RunState, StepState } from "./state.ts";
import { namedError } from "../../sdk/error-names.ts";

/** The earliest moment the run has something to do, or undefined when it waits on nothing. */
export function nextWake(state: RunState, now: number): number | undefined {
  if (state.terminal) return undefined;
  let next = state.retryAt !== undefined && state.retryAt > now ? state.retryAt : undefined;
  if (!state.started && !state.admitted && state.startAt !== undefined) next = Math.max(now, state.startAt);
  if (state.cancelRegistered === false) next = now;
  if (state.finishBy !== undefined && (next === undefined || state.finishBy < next)) next = state.finishBy;
  for (const step of state.steps.values()) {
    // A wait not yet registered, or children not yet started, are due at once: the drive that
    // resumes after a crash finishes the job.
    const wait = step.registered === false ? now : step.until;
    const invoking = step.childrenStarted === false ? now : step.until;
    const at =
      step.status === "sleeping"
        ? step.until
        : step.status === "invoking"
          ? invoking
          : step.status === "waiting"
            ? wait
            : step.status === "retrying"
              ? step.retryAt
              : undefined;
    if (at !== undefined && (next === undefined || at < next)) next = at;
  }
  return next;
}

/**
 * Sleeps that are over by `now`, as `step.woken` events, and waits whose timeout passed, as null
 * results. `now` may be ahead of the real clock
 * (`realNow`) when an operator or a test skips time; such wake-ups are recorded as early.
 */
export function wakeEvents(state: RunState, now: number, realNow: number = now): HistoryEvent[] {
  if (state.finishBy !== undefined && state.finishBy <= now && !state.terminal) {
    const by = new Date(state.finishBy).toISOString();
    if (state.finishCancels)
      return [{ type: "run.cancelled", reason: `not finished within its timeouts.finish (by ${by})` }];
    return [
      {
        type: "run.failed",
        error: namedError("FunctionTimeoutError", `The run did not finish within its timeouts.finish (by ${by})`),
      },
    ];
  }
  const events: HistoryEvent[] = [];
  for (const step of state.steps.values()) {
    const until = step.until ?? 0;
    if (step.status === "sleeping" && until <= now) {
      events.push({ type: "step.woken", stepId: step.id, name: step.name, early: until > realNow });
    }
    if (step.status === "waiting" && until <= now) {
      // A wait for all of several events returns what did arrive; any other wait returns null.
      const output = step.wait?.mode === "all" ? (step.arrived ?? null) : null;
      events.push({
        type: "step.completed",
        stepId: step.id,
        name: step.name,
        op: "wait",
        attempt: 0,
        output,
        timedOut: true,
      });
    }
    if (step.status === "invoking" && step.until !== undefined && step.until <= now) {
      const error = namedError(
        "InvokeTimeoutError",
        `Step "${step.id}": the invoked run(s) did not finish before the timeout`,
      );
      events.push({
        type: "step.failed",
        stepId: step.id,
        name: step.name,
        op: "invoke",
        attempt: step.failures,
        error,
      });
    }
  }
  return events;
}

/** Steps to execute now: planned ones, retries whose backoff is over, and children not yet started. */
export function dueSteps(state: RunState, now: number): StepState[] {
  const due: StepState[] = [];
  for (const step of state.steps.values()) {
    const restart = step.status === "invoking" && step.childrenStarted === false;
    if (step.status === "planned" || restart || (step.status === "retrying" && (step.retryAt ?? 0) <= now))
      due.push(step);
  }
  return due;
}

/** True while any step waits for something (a plan, a retry, a sleep or an event). */
export function hasPendingSteps(state: RunState): boolean {
  for (const step of state.steps.values()) {
    if (step.status !== "completed" && step.status !== "failed") return true;
  }
  return false;
}

/**
 * The run's next sleep or retry backoff (of a step or of the function body), if firing it fires
 * nothing else: no wait or invoke timeout and no `timeouts.finish` falls at or before it. This is
 * what a test skips to when a `waitForEvent` must go on waiting for its event; undefined otherwise.
 */
export function nextSleepWake(state: RunState, now: number): number | undefined {
  if (state.terminal) return undefined;
  let sleep = state.retryAt !== undefined && state.retryAt > now ? state.retryAt : undefined;
  let deadline = state.finishBy;
  for (const step of state.steps.values()) {
    const at = step.status === "sleeping" ? step.until : step.status === "retrying" ? step.retryAt : undefined;
    const until = step.status === "waiting" || step.status === "invoking" ? step.until : undefined;
    if (at !== undefined && (sleep === undefined || at < sleep)) sleep = at;
    if (until !== undefined && (deadline === undefined || until < deadline)) deadline = until;
  }
  return sleep !== undefined && (deadline === undefined || sleep < deadline) ? sleep : undefined;
}
