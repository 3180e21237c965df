/**
 * What D1 held before events and idempotency keys moved to their shards. Events recorded in D1
 * before events moved to EventShards. The `events` table stays until it is
 * empty: each cron tick moves the oldest of it, a bounded batch at a time, into the shards their
 * ids name, as they were recorded (same ids, times and routing state), then deletes them from D1.
 * An unrouted one is then swept by its shard and starts the same runs it would have; a listing
 * shows the moved ones among the rest. Moving twice is harmless (a shard keeps the first copy).
 */
import { LEGACY_COLUMNS, eventFromRow } from "../../durable-objects/events/event-table.ts";
import { groupBy } from "../core/lib/group.ts";
import type { Env } from "../core/env.ts";
import { eventShardCount, shardOfId } from "../core/events/shards.ts";
import type { StoredEvent } from "../core/events/schema.ts";
import { eventShard, idempotencyShard } from "../core/objects.ts";
import { keyShardOf } from "../core/events/idempotency.ts";
import { z } from "zod";
import { legacyRows } from "../core/db/legacy-rows.ts";

/** Events moved per batch, and batches per tick (a tick moves at most 10,000). */
const MOVE_BATCH = 500;
const BATCHES_PER_TICK = 20;

/** Moves one batch; returns how many rows left D1 (0 when the table is empty or gone). */
async function moveBatch(env: Env): Promise<number> {
  const rows = await legacyRows(
    env.DB.prepare(`SELECT ${LEGACY_COLUMNS} FROM events ORDER BY received_at LIMIT ?1`).bind(MOVE_BATCH),
  );
  if (rows.length === 0) return 0;
  const count = eventShardCount(env);
  const events = rows.flatMap((row): StoredEvent[] => {
    try {
      return [eventFromRow(row)];
    } catch (error) {
      // A row that does not read back could never be routed or shown; it is logged as it goes.
      console.error(`stepwise: legacy event ${String(row.id)} cannot be read and is dropped`, error, row);
      return [];
    }
  });
  const byShard = groupBy(events, (event) => shardOfId(event.id, count));
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

const legacyKeySchema = z.object({
  function_id: z.string(),
  key: z.string(),
  run_id: z.string(),
  expires_at: z.number(),
});

/**
 * Idempotency keys claimed in D1 before keys were sharded: each tick moves the unexpired ones (a
 * bounded batch) into their IdempotencyShards, to expire there as they would have, and deletes
 * them from D1; expired ones are pruned by retention. Returns how many moved.
 */
export async function moveLegacyKeys(env: Env, now = Date.now()): Promise<number> {
  const rows = await legacyRows(
    env.DB.prepare(
      "SELECT function_id, key, run_id, expires_at FROM idempotency_keys WHERE expires_at > ?1 LIMIT ?2",
    ).bind(now, MOVE_BATCH * BATCHES_PER_TICK),
  );
  if (rows.length === 0) return 0;
  const keys = rows.map((row) => {
    const r = legacyKeySchema.parse(row);
    return { functionId: r.function_id, key: r.key, runId: r.run_id, expiresAt: r.expires_at };
  });
  const byShard = groupBy(keys, (key) => keyShardOf(key.functionId, key.key));
  await Promise.all([...byShard].map(([shard, held]) => idempotencyShard(env, shard).adopt(held)));
  await env.DB.batch(
    keys.map((k) =>
      env.DB.prepare("DELETE FROM idempotency_keys WHERE function_id = ?1 AND key = ?2").bind(k.functionId, k.key),
    ),
  );
  return rows.length;
}
