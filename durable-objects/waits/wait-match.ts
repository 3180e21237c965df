/**
 * Which waiter an event resumes: pure, so the races are reasoned about (and tested) in Node.
 * An event matches a waiter when its name is the waited one (the index is per name), it is not
 * the run's own event, it arrived no earlier than the wait began (less the lookback and a
 * {@link RACE_WINDOW_MS} for events in flight as the wait began), and the condition holds.
 */
import { compileExpression, holds } from "../../sdk/expression.ts";
import type { RunEvent } from "../../sdk/protocol.ts";

/** Events accepted this long before a wait began still count as arriving with it. */
export const RACE_WINDOW_MS = 1_000;

/** A registered wait. */
export interface Waiter {
  runId: string;
  /** The waiting step; for a `cancelOn` listener, `cancelOn:<n>` with `kind` "cancel". */
  stepId: string;
  kind?: "step" | "cancel" | undefined;
  /** Which event of a multi-event wait (0 for a single wait). */
  part?: number | undefined;
  /** CEL over `event` (the run's event) and `async` (the incoming one). */
  condition?: string | undefined;
  runEvent: RunEvent;
  startedAt: number;
  lookbackMs: number;
  until: number;
}

/** An event as the index keeps it: what the step returns, and when Stepwise accepted it. */
export interface ArrivedEvent {
  event: RunEvent;
  receivedAt: number;
}

/** Whether `arrived` resumes `waiter`. */
export function matches(waiter: Waiter, arrived: ArrivedEvent): boolean {
  if (arrived.event.id === waiter.runEvent.id) return false;
  if (arrived.receivedAt < waiter.startedAt - waiter.lookbackMs - RACE_WINDOW_MS) return false;
  if (waiter.condition === undefined) return true;
  return holds(compileExpression(waiter.condition), { event: waiter.runEvent, async: arrived.event });
}

/** The first of `arrivals` (oldest first) that resumes `waiter`, if any. */
export function firstMatch(waiter: Waiter, arrivals: ArrivedEvent[]): ArrivedEvent | undefined {
  return arrivals.find((arrived) => matches(waiter, arrived));
}
