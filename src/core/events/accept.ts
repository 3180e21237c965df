/**
 * Accepting events: assign ids and times, record them in D1 with the sweeper armed, then queue
 * them for routing. Once this resolves, the events are safe: if the queue loses them, or the
 * Worker stops before routing, the sweeper re-queues them from D1.
 */
import { eventSweeper } from "../objects.ts";
import { recordEvents, type NewEvent } from "../db/events.ts";
import type { Env } from "../env.ts";
import { newId } from "../lib/ids.ts";
import { enqueueEvents } from "./enqueue.ts";
import type { eventInputSchema } from "./schema.ts";
import type { z } from "zod";

/** An event after validation. */
export type ValidEvent = z.output<typeof eventInputSchema>;

const ARM_MARGIN_MS = 2_000;
/** This isolate's knowledge of when the sweeper's alarm is armed, to skip re-arming it. */
let sweepArmedAt = 0;

async function armSweeper(env: Env, now: number): Promise<void> {
  // An alarm still well ahead covers events accepted now: it re-arms while any stay unrouted, and
  // the margin outlasts this request's D1 write, so the alarm cannot look before the row exists.
  if (sweepArmedAt > now + ARM_MARGIN_MS) return;
  try {
    sweepArmedAt = await eventSweeper(env).arm();
  } catch (error) {
    // The events still go on the queue; the next accept arms the sweeper, which sweeps them all.
    console.error("stepwise: the event sweeper could not be armed", error);
  }
}

/** Gives each event its id and time, as Stepwise records it. */
function completeEvents(events: ValidEvent[], now: number): NewEvent[] {
  return events.map((event) => ({
    id: event.id ?? newId(),
    name: event.name,
    data: event.data,
    ts: event.ts ?? now,
    ...(event.v !== undefined ? { v: event.v } : {}),
    ...(event.user !== undefined ? { user: event.user } : {}),
  }));
}

/** Records and queues events; returns their ids in the order given (repeats included). */
export async function acceptEvents(env: Env, events: ValidEvent[], now = Date.now()): Promise<string[]> {
  const complete = completeEvents(events, now);
  const [fresh] = await Promise.all([recordEvents(env.DB, complete, now), armSweeper(env, now)]);
  try {
    await enqueueEvents(env.EVENTS, [...fresh]);
  } catch (error) {
    // Recorded and swept, so still safe; routing waits for the sweeper instead of the queue.
    console.error("stepwise: events recorded but not queued; the sweeper will route them", error);
  }
  return complete.map((event) => event.id);
}
