/**
 * The statuses a run can have, as the API and the dashboard show them. Defined in the SDK so
 * that what users test against (`stepwise/testing`) and what the engine reports are one list.
 */

/** Every status a run can have, in the order a run usually goes through them. */
export const RUN_STATUSES = [
  "scheduled",
  "queued",
  "paused",
  "running",
  "sleeping",
  "waiting",
  "completed",
  "failed",
  "cancelled",
  "skipped",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The statuses a run never leaves: it has ended, one way or another. */
export const ENDED_STATUSES = ["completed", "failed", "cancelled", "skipped"] as const satisfies readonly RunStatus[];
export type EndedStatus = (typeof ENDED_STATUSES)[number];

/** The ended statuses a run can be replayed from (a new run that keeps its steps up to the failure). */
export const REPLAYABLE_STATUSES = ["failed", "cancelled"] as const satisfies readonly EndedStatus[];

/** Whether a run in `status` can be replayed. */
export function isReplayable(status: string): boolean {
  return (REPLAYABLE_STATUSES as readonly string[]).includes(status);
}

/** Whether `status` is one a run never leaves. */
export function isEnded(status: string): status is EndedStatus {
  return (ENDED_STATUSES as readonly string[]).includes(status);
}
