/**
 * Events recorded in D1 before events moved to EventShards. The `events` table stays until it is
 * empty: each cron tick moves the oldest of it, a bounded batch at a time, into the shards their
 * ids name, as they were recorded (same ids, times and routing state), then deletes them from D1.
 * An unrouted one is then swept by its shard and starts the same runs it would have; a listing
 * shows the moved ones among the rest. Moving twice is harmless (a shard keeps the first copy).
 */
import { eventFromRow } from "../../durable-objects/events/event-table.ts";
import type { Env } from "../core/env.ts";
import { eventShardCount, shardOfId } from "../core/events/shards.ts";
import type { StoredEvent } from "../core/events/schema.ts";
import { eventShard } from "../core/objects.ts";

/** Events moved per batch, and batches per tick (a tick moves at most 10,000). */
const MOVE_BATCH = 500;
const BATCHES_PER_TICK = 20;

const COLUMNS = "id, name, data, ts, user, v, received_at, routed_at, sweeps, route_error";

/** Moves one batch; returns how many rows left D1 (0 when the table is empty or gone). */
async function moveBatch(env: Env): Promise<number> {
  let rows: Record<string, unknown>[];
  try {
    ({ results: rows } = await env.DB.prepare(`SELECT ${COLUMNS} FROM events ORDER BY received_at LIMIT ?1`)
      .bind(MOVE_BATCH)
      .all());
  } catch (error) {
    if (String(error).includes("no such table")) return 0;
    throw error;
  }
  if (rows.length === 0) return 0;
  const count = eventShardCount(env);
  const byShard = new Map<number, StoredEvent[]>();
  for (const row of rows)
    try {
      const event = eventFromRow(row);
      const shard = shardOfId(event.id, count);
      byShard.set(shard, [...(byShard.get(shard) ?? []), event]);
    } catch (error) {
      // A row that does not read back could never be routed or shown; it is logged as it goes.
      console.error(`stepwise: legacy event ${String(row.id)} cannot be read and is dropped`, error, row);
    }
  await Promise.all([...byShard].map(([shard, events]) => eventShard(env, shard).adopt(events)));
  await env.DB.prepare("DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(rows.map((row) => String(row.id))))
    .run();
  return rows.length;
}

/** One tick's worth of moving; returns how many events left D1. */
export async function moveLegacyEvents(env: Env): Promise<number> {
  let moved = 0;
  for (let batch = 0; batch < BATCHES_PER_TICK; batch++) {
    const n = await moveBatch(env);
    moved += n;
    if (n < MOVE_BATCH) break;
  }
  return moved;
}
