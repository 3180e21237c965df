/**
 * Accepting events: assign ids and times, record them in D1 with the sweeper armed, then route
 * them. Once recorded, the events are safe: if routing fails, or the Worker stops before routing,
 * the sweeper re-queues them from D1.
 *
 * A small request ({@link DIRECT_ROUTE_MAX_EVENTS} events or fewer) is routed by the accepting
 * Worker itself, at once, so its runs start without a queue hop; a larger one goes on the EVENTS
 * queue, whose consumer routes it in batches. Routing the same event twice starts nothing twice
 * (run ids are derived from the event id and the time it was recorded, as here).
 */
import { eventSweeper } from "../objects.ts";
import { recordEvents, type NewEvent } from "../db/events.ts";
import type { Env } from "../env.ts";
import { newId } from "../lib/ids.ts";
import { enqueueEvents } from "./enqueue.ts";
import { routeEvents } from "./route.ts";
import { storedEventSchema, type eventInputSchema, type StoredEvent } from "./schema.ts";
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

/**
 * Events a request routes itself, at most: enough for the single events and small batches that
 * wait on their runs, few enough that a request never starts an unbounded number of runs.
 */
export const DIRECT_ROUTE_MAX_EVENTS = 10;

/** How the caller lets routing outlive its answer (a Worker's `ctx.waitUntil`). */
export interface AcceptOptions {
  /** Keeps routing going after the caller answers; without it, accepting waits for routing. */
  waitUntil?: (routing: Promise<unknown>) => void;
  now?: number;
}

/** The fresh events as the router reads them back from D1: the first of each id, as recorded. */
function asRecorded(events: NewEvent[], fresh: Set<string>, receivedAt: number): StoredEvent[] {
  const seen = new Set<string>();
  const recorded: StoredEvent[] = [];
  for (const event of events) {
    if (!fresh.has(event.id) || seen.has(event.id)) continue;
    seen.add(event.id);
    // Through JSON, as D1 holds it, so a direct route and a later re-route see the same event.
    recorded.push(storedEventSchema.parse(JSON.parse(JSON.stringify({ ...event, receivedAt }))));
  }
  return recorded;
}

/**
 * Routes the fresh events here and now; on any failure, queues them so the queue retries. Once
 * the events are recorded nothing here may throw: the caller has accepted them.
 */
async function routeNow(env: Env, events: NewEvent[], fresh: Set<string>, receivedAt: number): Promise<void> {
  try {
    await routeEvents(env, asRecorded(events, fresh, receivedAt));
  } catch (error) {
    console.error("stepwise: routing accepted events failed; they go on the queue", error);
    await queue(env, [...fresh]);
  }
}

async function queue(env: Env, ids: string[]): Promise<void> {
  try {
    await enqueueEvents(env.EVENTS, ids);
  } catch (error) {
    // Recorded and swept, so still safe; routing waits for the sweeper instead of the queue.
    console.error("stepwise: events recorded but not queued; the sweeper will route them", error);
  }
}

/** Records and routes (or queues) events; returns their ids in the order given (repeats included). */
export async function acceptEvents(env: Env, events: ValidEvent[], options: AcceptOptions = {}): Promise<string[]> {
  const now = options.now ?? Date.now();
  const complete = completeEvents(events, now);
  const [fresh] = await Promise.all([recordEvents(env.DB, complete, now), armSweeper(env, now)]);
  if (fresh.size > DIRECT_ROUTE_MAX_EVENTS) await queue(env, [...fresh]);
  else if (fresh.size > 0) {
    const routing = routeNow(env, complete, fresh, now);
    if (!options.waitUntil) await routing;
    else
      try {
        options.waitUntil(routing);
      } catch {
        await routing; // no context to outlive the answer in: route before answering
      }
  }
  return complete.map((event) => event.id);
}
