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
import { jsonBytes } from "../lib/json-size.ts";
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
  const stack = error.stack !== undefined ? { stack: error.stack.slice(0, MAX_STACK) } : {};
  return {
    ...error,
    ...stack,
    message: error.message.slice(0, MAX_STACK),
    error: `${error.name}: ${error.message}`.slice(0, MAX_STACK),
  };
}

const CANCELLED_ERROR: SerializedError = { name: "Error", message: "function cancelled" };

/**
 * `data` within `maxBytes` of JSON: a run's events, result and triggering event can each be as
 * large as Stepwise allows, so the announcement gives up, in order, the events after the first,
 * the result, then the triggering event's data, each replaced by a note of its size.
 */
function bounded(data: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  const cut = (value: unknown) => ({ truncated: true, bytes: jsonBytes(value) });
  let out = data;
  if (jsonBytes(out) <= maxBytes) return out;
  out = { ...out, events: [out.event] };
  if (jsonBytes(out) <= maxBytes) return out;
  if ("result" in out) out = { ...out, result: cut(out.result) };
  if (jsonBytes(out) <= maxBytes) return out;
  const event = out.event as RunEvent;
  const small = { ...event, data: cut(event.data) };
  return { ...out, event: small, events: [small] };
}

/** An error's stack, which can run to any length, kept to its first lines. */
const MAX_STACK = 4_096;

/**
 * The events announcing `run`'s end, each within `maxBytes`. None for a skipped run (it never
 * began), and none for a run started by a finished or failed event: announcing those ends would
 * start them again, forever.
 */
export function lifecycleEvents(run: EndedRun, now: number, maxBytes: number): LifecycleEvent[] {
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
    data: bounded(data, maxBytes),
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
