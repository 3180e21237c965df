/**
 * The events Inngest's executor emits when a run of an Inngest function ends
 * (../shared/INNGEST-PROTOCOL.md §3.4): `inngest/function.finished` always, and
 * `inngest/function.failed` or `inngest/function.cancelled` by how it ended. Inngest apps build on
 * them: the SDK registers each `onFailure` handler as a function triggered by
 * `inngest/function.failed` whose expression names the failed function, and users trigger their
 * own functions on all three.
 *
 * Pure: the run's object sends them through the one intake, with ids derived from the run's so a
 * second announcement of the same end is the same events.
 */
import type { EndedStatus } from "../../../sdk/run-status.ts";
import type { RunEvent, SerializedError } from "../../../sdk/protocol.ts";
import { inngestEvent } from "./translate.ts";

export const FINISHED_EVENT = "inngest/function.finished";
export const FAILED_EVENT = "inngest/function.failed";
export const CANCELLED_EVENT = "inngest/function.cancelled";

/** A run that has ended, as much of it as its lifecycle events carry. */
export interface EndedRun {
  functionId: string;
  runId: string;
  status: EndedStatus;
  events: RunEvent[];
  output?: unknown;
  error?: SerializedError | undefined;
}

/** An event to accept: the intake's input shape, with its id set. */
export interface LifecycleEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
  ts: number;
}

/** Inngest's error shape: the serialized error plus `error`, its one-line form. */
function inngestError(error: SerializedError): Record<string, unknown> {
  return { ...error, error: `${error.name}: ${error.message}` };
}

const CANCELLED_ERROR: SerializedError = { name: "Error", message: "function cancelled" };

/**
 * The events announcing `run`'s end. None for a skipped run (it never began), and none for a run
 * started by a finished or failed event: announcing those ends would start them again, forever.
 */
export function lifecycleEvents(run: EndedRun, now: number): LifecycleEvent[] {
  const [first] = run.events;
  if (!first || run.status === "skipped") return [];
  if (first.name === FINISHED_EVENT || first.name === FAILED_EVENT) return [];
  const common = {
    function_id: run.functionId,
    run_id: run.runId,
    event: inngestEvent(first),
    events: run.events.map(inngestEvent),
  };
  const event = (name: string, suffix: string, data: Record<string, unknown>): LifecycleEvent => ({
    id: `${run.runId}.${suffix}`,
    name,
    data,
    ts: now,
  });
  if (run.status === "completed")
    return [
      event(FINISHED_EVENT, "finished", { ...common, result: run.output ?? null, _inngest: { status: "Completed" } }),
    ];
  if (run.status === "failed") {
    const data = { ...common, error: inngestError(run.error ?? { name: "Error", message: "the run failed" }) };
    return [
      event(FINISHED_EVENT, "finished", { ...data, _inngest: { status: "Failed" } }),
      event(FAILED_EVENT, "inngest-failed", { ...data, _inngest: { status: "Failed" } }),
    ];
  }
  const data = { ...common, error: inngestError(CANCELLED_ERROR), _inngest: { status: "Cancelled" } };
  return [event(FINISHED_EVENT, "finished", data), event(CANCELLED_EVENT, "cancelled", data)];
}
