/**
 * Accepting events: assign ids and times, record them in their EventShards, then route them. Once
 * recorded, the events are safe: if routing fails, or the Worker stops before routing, their
 * shard's alarm re-queues them.
 *
 * A small request ({@link DIRECT_ROUTE_MAX_EVENTS} events or fewer) is routed by the accepting
 * Worker itself, at once, so its runs start without a queue hop; a larger one goes on the EVENTS
 * queue, whose consumer routes it in batches. Routing the same event twice starts nothing twice
 * (run ids are derived from the event id and the time it was recorded, as here).
 */
import { offloadEvents } from "../payloads/event-data.ts";
import { toMs } from "../../../sdk/duration.ts";
import type { Env } from "../env.ts";
import { enqueueEvents } from "./enqueue.ts";
import { eventQueues } from "./queues.ts";
import { routeEvents } from "./route.ts";
import { storedEventSchema, type eventInputSchema, type StoredEvent } from "./schema.ts";
import { eventShardCount, idInShard, randomShard } from "./shards.ts";
import { recordEvents, type NewEvent, type RecordedShard } from "./store.ts";
import type { z } from "zod";

/** An event after validation. */
export type ValidEvent = z.output<typeof eventInputSchema>;

/**
 * Gives each event its id and time, as Stepwise records it. The ids Stepwise assigns all live in
 * one shard, so a batch without client ids is recorded in one call.
 */
function completeEvents(events: ValidEvent[], now: number, shardCount: number): NewEvent[] {
  const shard = randomShard(shardCount);
  return events.map((event) => ({
    id: event.id ?? idInShard(shard, shardCount),
    name: event.name,
    data: event.data,
    ts: event.ts ?? (event.delay !== undefined ? now + toMs(event.delay) : now),
    ...(event.v !== undefined ? { v: event.v } : {}),
    ...(event.user !== undefined ? { user: event.user } : {}),
    ...(event.tags?.length ? { tags: event.tags } : {}),
    ...(event.traceparent ? { traceparent: event.traceparent } : {}),
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

/** The fresh events as the router reads them back from their shard: the first of each id, as recorded. */
function asRecorded(events: NewEvent[], fresh: Set<string>, receivedAt: number): StoredEvent[] {
  const seen = new Set<string>();
  const recorded: StoredEvent[] = [];
  for (const event of events) {
    if (!fresh.has(event.id) || seen.has(event.id)) continue;
    seen.add(event.id);
    // Through JSON, as the shard holds it, so a direct route and a later re-route see the same event.
    recorded.push(storedEventSchema.parse(JSON.parse(JSON.stringify({ ...event, receivedAt }))));
  }
  return recorded;
}

/**
 * Routes the fresh events here and now; on any failure, queues them so the queue retries. Once
 * the events are recorded nothing here may throw: the caller has accepted them.
 */
async function routeNow(env: Env, events: NewEvent[], recorded: RecordedShard, receivedAt: number): Promise<void> {
  const { shard, fresh, listening, catalog } = recorded;
  try {
    await routeEvents(env, shard, asRecorded(events, fresh, receivedAt), { listening, catalog });
  } catch (error) {
    console.error("stepwise: routing accepted events failed; they go on the queue", error);
    await queue(env, shard, [...fresh]);
  }
}

async function queue(env: Env, shard: number, ids: string[]): Promise<void> {
  try {
    await enqueueEvents(env, shard, ids);
  } catch (error) {
    // Recorded and swept by their shard, so still safe; routing waits for its sweep instead.
    console.error("stepwise: events recorded but not queued; their shard's sweep will route them", error);
  }
}

/** Records and routes (or queues) events; returns their ids in the order given (repeats included). */
export async function acceptEvents(env: Env, events: ValidEvent[], options: AcceptOptions = {}): Promise<string[]> {
  const now = options.now ?? Date.now();
  // A deployment whose shards or queues are misconfigured refuses (ConfigError) before recording.
  eventQueues(env);
  const complete = await offloadEvents(env, completeEvents(events, now, eventShardCount(env)));
  const recorded = (await recordEvents(env, complete, now)).filter(({ fresh }) => fresh.size > 0);
  const fresh = recorded.reduce((sum, { fresh }) => sum + fresh.size, 0);
  if (fresh > DIRECT_ROUTE_MAX_EVENTS)
    await Promise.all(recorded.map(({ shard, fresh }) => queue(env, shard, [...fresh])));
  else if (fresh > 0) {
    const routing = Promise.all(recorded.map((shard) => routeNow(env, complete, shard, now)));
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
