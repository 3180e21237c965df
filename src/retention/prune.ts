/**
 * Retention: what Stepwise keeps is bounded in time. Ended runs (their index rows and their
 * RunObjects' storage) are deleted once older than the retention period, and idempotency keys
 * once expired; events are pruned by their EventShards (durable-objects/events/event-shard.ts). Each pass deletes a bounded batch of each, oldest first, so a backlog drains
 * over a few passes without a long request; the Worker's cron tick runs a pass.
 *
 * Windows this must stay above: event-id dedup and idempotency keys (24 hours), a wait's lookback
 * (1 hour). A run older than the period cannot be replayed, its history being gone.
 */
import { z } from "zod";
import type { Env } from "../core/env.ts";
import { allIndexShards } from "../core/run-index/read.ts";
import { runObject } from "../core/objects.ts";
import { retentionMs } from "../core/lib/retention.ts";

export { retentionMs };

/** Rows of each kind one pass deletes at most. */
const PRUNE_BATCH = 500;
/** Runs one pass purges at most (each is a call to its object). */
const PURGE_RUNS_BATCH = 200;

/** What one pass deleted. */
export interface PruneResult {
  runs: number;
  idempotencyKeys: number;
}

/**
 * One retention pass at `now` over what D1 and the runs hold; runs whose object refuses (still
 * going) are kept. Events are pruned by their own EventShard's alarm (unrouted ones are kept
 * whatever their age: nothing accepted is dropped before it has started its runs).
 */
export async function pruneOnce(env: Env, now = Date.now()): Promise<PruneResult> {
  const cutoff = now - retentionMs(env);
  const keys = await env.DB.prepare(
    "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE expires_at < ?1 LIMIT ?2)",
  )
    .bind(now, PRUNE_BATCH)
    .run();
  const purged = await purgeEndedRuns(env, cutoff);
  return { runs: purged, idempotencyKeys: keys.meta.changes };
}

/**
 * Purges up to {@link PURGE_RUNS_BATCH} runs ended before `cutoff`: each index shard names its
 * oldest ended runs, each run's object deletes its storage, and the shard drops their rows.
 */
async function purgeEndedRuns(env: Env, cutoff: number): Promise<number> {
  let purged = 0;
  // From a random shard on, so a few functions with many old runs cannot keep the rest unpurged.
  const shards = await allIndexShards(env);
  const start = Math.floor(Math.random() * shards.length);
  for (const shard of [...shards.slice(start), ...shards.slice(0, start)]) {
    if (purged >= PURGE_RUNS_BATCH) break;
    const ended = z.array(z.string()).parse(await shard.endedBefore(cutoff, PURGE_RUNS_BATCH - purged));
    const done: string[] = [];
    await Promise.all(
      ended.map(async (id) => {
        try {
          if ((await runObject(env, id).purge(cutoff)).purged) done.push(id);
        } catch (error) {
          console.error(`stepwise: retention could not purge run ${id}; the next pass tries again`, error);
        }
      }),
    );
    if (done.length > 0) await shard.forget(done);
    purged += done.length;
  }
  return purged;
}
