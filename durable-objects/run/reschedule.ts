/**
 * Moving a delayed run's start: allowed until its start time's drive admits or starts it, so a
 * run is never started twice nor moved once it ran any code.
 */
import type { HistoryEvent } from "./history.ts";
import { runStatus, type RunState } from "./state.ts";

/** What a reschedule answers: the new start, or why it was refused (409). */
export type RescheduleAnswer =
  { ok: true; startAt: string } | { ok: false; refusal: { code: "run_started"; status: 409; message: string } };

/** The events that move `state`'s start to `startAt` (now, when it has passed), or the refusal. */
export function decideReschedule(
  state: RunState,
  startAt: number,
  now: number,
): { ok: true; events: HistoryEvent[]; at: number } | Extract<RescheduleAnswer, { ok: false }> {
  const status = runStatus(state);
  if (status !== "scheduled") {
    const message = `Run ${state.runId} is ${status}: only a scheduled run (not started yet) can be rescheduled`;
    return { ok: false, refusal: { code: "run_started", status: 409, message } };
  }
  const at = Math.max(now, startAt);
  return { ok: true, events: [{ type: "run.rescheduled", startAt: at }], at };
}
