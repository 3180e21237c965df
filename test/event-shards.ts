/**
 * Test helpers over the EventShards: record an event as if accepted at a given time, read one back,
 * reach the shard that holds an id, and run SQL inside it.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { eventShard } from "../src/core/objects.ts";
import { eventShardCount, idInShard, shardOfId } from "../src/core/events/shards.ts";
import { getEvent, recordEvents } from "../src/core/events/store.ts";
import type { StoredEvent } from "../src/core/events/schema.ts";

/** The shard number that holds event `id`. */
export const shardNumberOf = (id: string): number => shardOfId(id, eventShardCount(env));

/** The EventShard that holds event `id`. */
export const shardOf = (id: string) => eventShard(env, shardNumberOf(id));

/** `count` new ids that all live in one shard (as the ids of a batch without client ids do). */
export function idsInOneShard(count: number): string[] {
  const shard = Math.floor(Math.random() * eventShardCount(env));
  return Array.from({ length: count }, () => idInShard(shard, eventShardCount(env)));
}

/** Records an event (id and name given, no data) as if accepted at `receivedAt`; true when it was fresh. */
export async function recordAt(
  event: { id: string; name: string; data?: Record<string, unknown> },
  receivedAt: number,
): Promise<boolean> {
  const [recorded] = await recordEvents(env, [{ data: {}, ts: receivedAt, ...event }], receivedAt);
  return recorded?.fresh.has(event.id) ?? false;
}

/** The stored event `id`, or null. */
export const storedEvent = (id: string): Promise<StoredEvent | null> => getEvent(env, id);

/** Runs `sql` inside the shard that holds `id` and returns the rows. */
export function shardSql(id: string, sql: string, ...params: unknown[]): Promise<Record<string, SqlStorageValue>[]> {
  return runInDurableObject(shardOf(id), (_instance, state) => state.storage.sql.exec(sql, ...params).toArray());
}
