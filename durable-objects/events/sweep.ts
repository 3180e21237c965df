/**
 * The sweep's queries over a shard's events table: which unrouted events to re-queue, and whether
 * routing is making progress. Each goes through a partial index (unrouted, or routed by time).
 */
import { MAX_SWEEPS } from "../../src/core/events/schema.ts";

/** Sweeps after which the wait between re-queues of one event stops doubling (2^5 grace periods). */
const BACKOFF_DOUBLINGS = 5;

/**
 * Claims up to `limit` events that are unrouted and were accepted (or last re-queued) before
 * `before`, marking them re-queued at `now` (one more sweep), and returns their ids, oldest
 * first. With `backoffMs`, an event re-queued before waits longer each time: after its n-th sweep,
 * `backoffMs` × (2^n − 1) more (capped at {@link BACKOFF_DOUBLINGS} doublings), so an event whose
 * routing keeps failing costs less and less while routing is behind. Events swept
 * {@link MAX_SWEEPS} times are left alone.
 */
export function claimUnrouted(sql: SqlStorage, before: number, now: number, limit: number, backoffMs = 0): string[] {
  return sql
    .exec<{ id: string }>(
      `UPDATE events SET queued_at = ?2, sweeps = sweeps + 1 WHERE id IN (
        SELECT id FROM events WHERE routed_at IS NULL AND received_at < ?1 AND sweeps < ?4
          AND coalesce(queued_at, 0) + ?5 * ((1 << min(sweeps, ?6)) - 1) < ?1
        ORDER BY received_at LIMIT ?3) RETURNING id`,
      before,
      now,
      limit,
      MAX_SWEEPS,
      backoffMs,
      BACKOFF_DOUBLINGS,
    )
    .toArray()
    .map((row) => row.id);
}

/** Whether any event was routed at or after `since` (routing is making progress). */
export function routedSince(sql: SqlStorage, since: number): boolean {
  return sql.exec(`SELECT 1 FROM events WHERE routed_at >= ?1 LIMIT 1`, since).toArray().length > 0;
}

/** Whether any accepted event is still unrouted (and not given up on). */
export function hasUnrouted(sql: SqlStorage): boolean {
  return (
    sql.exec(`SELECT 1 FROM events WHERE routed_at IS NULL AND sweeps < ?1 LIMIT 1`, MAX_SWEEPS).toArray().length > 0
  );
}
