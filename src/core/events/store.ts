/**
 * The event store as the rest of Stepwise sees it: events recorded in, read from and listed across
 * the EventShards (src/core/events/shards.ts picks the shard). No event is on D1's path: recording
 * a request is one call per shard its events live in (one, for a batch without client ids).
 */
import type { Effect } from "./effects.ts";
import { z } from "zod";
import type { Env } from "../env.ts";
import { eventShard } from "../objects.ts";
import { toPage, type Cursor } from "../db/cursor.ts";
import { groupBy } from "../lib/group.ts";
import { eventPageRowSchema, type NewEvent } from "./shard-protocol.ts";
import { eventSummarySchema, storedEventSchema, type EventSummary, type StoredEvent } from "./schema.ts";
import { allShards, eventShardCount, shardOfId } from "./shards.ts";
import { shardListening, type KeyedListener, type ShardListening } from "../waits/wait-targets.ts";

export type { NewEvent };

/** The fresh (to be routed) events of one shard after recording, and who listens for their names. */
export interface RecordedShard {
  shard: number;
  fresh: Set<string>;
  listening: ShardListening;
  /** The catalogue generation the shard knows (see durable-objects/events/catalog-generation.ts). */
  catalog?: number | undefined;
}

// An EventShard of the release before listened names answered a record with its fresh ids alone,
// and a read without `listened`; one of the release before keyed waits, with names alone. During
// a deploy any may answer, and then every name is handed on (the safe side: see shardListening),
// rather than the accepted events failing their request.
const recordSchema = z.union([
  z.looseObject({ fresh: z.array(z.string()), catalog: z.number().int().optional() }),
  z.array(z.string()).transform((fresh) => ({ fresh, catalog: undefined })),
]);
const readSchema = z.looseObject({
  events: z.array(storedEventSchema),
  unreadable: z.array(z.object({ id: z.string(), error: z.string() })),
  catalog: z.number().int().optional(),
});

/**
 * Records events accepted at `receivedAt`, each in the shard its id names, and returns per shard
 * the ids that need routing (repeats within 24 hours left out) and the names of theirs that runs
 * wait for, as the shard knew them when it recorded.
 */
export async function recordEvents(env: Env, events: NewEvent[], receivedAt: number): Promise<RecordedShard[]> {
  const count = eventShardCount(env);
  const byShard = groupBy(events, (event) => shardOfId(event.id, count));
  return Promise.all(
    [...byShard].map(async ([shard, held]) => {
      const answer: unknown = await eventShard(env, shard).record({ events: held, receivedAt });
      const recorded = recordSchema.parse(answer);
      const names = held.map((event) => event.name);
      return {
        shard,
        fresh: new Set(recorded.fresh),
        // The release before listened names answered a list of fresh ids: no listening in it.
        listening: shardListening(Array.isArray(answer) ? undefined : answer, names),
        catalog: recorded.catalog,
      };
    }),
  );
}

/**
 * Events of shard `shard` by id for routing, which of their names runs wait for, and the catalogue
 * generation the shard knows; unreadable rows apart, with why.
 */
export async function readShardEvents(env: Env, shard: number, ids: string[]) {
  const answer: unknown = await eventShard(env, shard).read(ids);
  const read = readSchema.parse(answer);
  const listening = shardListening(
    read as { listened?: unknown },
    read.events.map((event) => event.name),
  );
  return { events: read.events, unreadable: read.unreadable, catalog: read.catalog, listening };
}

/** Marks a shard's events routed. */
export async function markRouted(
  env: Env,
  shard: number,
  ids: string[],
  at = Date.now(),
  effects: Effect[] = [],
): Promise<void> {
  if (ids.length > 0) await eventShard(env, shard).routed(ids, at, effects);
}

/** Notes why routing a shard's events failed; `abandon` stops its sweep re-queuing them. */
export async function markRouteFailed(env: Env, shard: number, ids: string[], error: string, abandon = false) {
  if (ids.length > 0) await eventShard(env, shard).routeFailed(ids, error, abandon);
}

/**
 * Event `id` and the shard that holds it: the shard its id names, or, when it is not there
 * (recorded before the shard count was raised), whichever shard holds it.
 */
async function findEvent(env: Env, id: string): Promise<{ shard: number; event: StoredEvent } | undefined> {
  const home = shardOfId(id, eventShardCount(env));
  const found = await eventShard(env, home).get(id);
  if (found) return { shard: home, event: storedEventSchema.parse(found) };
  const elsewhere = await Promise.all(
    allShards(env)
      .filter((shard) => shard !== home)
      .map(async (shard) => ({ shard, event: await eventShard(env, shard).get(id) })),
  );
  const hit = elsewhere.find((candidate) => candidate.event !== null);
  return hit ? { shard: hit.shard, event: storedEventSchema.parse(hit.event) } : undefined;
}

/** One event by id, or null. */
export async function getEvent(env: Env, id: string): Promise<StoredEvent | null> {
  return (await findEvent(env, id))?.event ?? null;
}

/** The shard that holds event `id`; undefined when none does. */
export async function shardHolding(env: Env, id: string): Promise<number | undefined> {
  return (await findEvent(env, id))?.shard;
}

/**
 * A newest-first page of events (optionally of one name), merged from every shard's own page by
 * (time, id): each shard reads at most `limit + 1` rows through its index.
 */
export async function listEvents(
  env: Env,
  filter: { name?: string | undefined; cursor?: Cursor | undefined; limit: number },
): Promise<{ items: EventSummary[]; next?: Cursor }> {
  const request = {
    ...(filter.name !== undefined ? { name: filter.name } : {}),
    ...(filter.cursor ? { cursor: filter.cursor } : {}),
    limit: filter.limit,
  };
  const pages = await Promise.all(allShards(env).map((shard) => eventShard(env, shard).page(request)));
  const rows = pages
    .flatMap((page) => z.array(eventPageRowSchema).parse(page))
    .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, filter.limit + 1);
  const page = toPage(rows, filter.limit, (row) => ({ at: row.at, id: row.id }));
  // A row that no longer reads back is left out of listings (its shard logged why).
  return {
    items: page.items.flatMap((row) => (row.event ? [eventSummarySchema.parse(row.event)] : [])),
    ...(page.next ? { next: page.next } : {}),
  };
}

/** A wait's lookback reads at most this many of the name's events. */
export const LOOKBACK_READ_LIMIT = 1_000;

/** Merges shards' oldest-first event lists and keeps the newest {@link LOOKBACK_READ_LIMIT}. */
export function newestAcross(lists: unknown[]): StoredEvent[] {
  return z
    .array(storedEventSchema)
    .parse(lists.flat())
    .sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(-LOOKBACK_READ_LIMIT);
}

/**
 * The events of `name` accepted at or after `from`, oldest first: the newest
 * {@link LOOKBACK_READ_LIMIT} of them across the shards, as those nearest a wait's start matter most.
 * For a keyed shard (`keyed`), only those of its slot.
 */
export async function eventsNamedSince(
  env: Env,
  name: string,
  from: number,
  keyed?: KeyedListener,
): Promise<StoredEvent[]> {
  const found = await Promise.all(
    allShards(env).map((shard) => eventShard(env, shard).namedSince(name, from, LOOKBACK_READ_LIMIT, keyed)),
  );
  return newestAcross(found);
}

/** Asks every shard for its start-up pass: events accepted before `before` and still unrouted go on the queue. */
export async function recoverShards(env: Env, before: number): Promise<void> {
  await Promise.all(allShards(env).map((shard) => eventShard(env, shard).recover(before)));
}
