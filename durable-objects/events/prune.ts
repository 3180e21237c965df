/**
 * An EventShard's retention: routed events past STEPWISE_EVENT_RETENTION_DAYS (or
 * STEPWISE_RETENTION_DAYS) are deleted by its alarm, oldest first, with their data kept in R2 and
 * what they resumed or cancelled.
 */
import { z } from "zod";
import { claimSchema } from "../../sdk/protocol.ts";
import type { Env } from "../../src/core/env.ts";
import { eventRetentionMs } from "../../src/core/lib/retention.ts";
import { pruneEffects } from "./event-effects.ts";

/** How often a shard prunes, and the most events one pass deletes. */
export const PRUNE_EVERY_MS = 60 * 60_000;
export const PRUNE_BATCH = 5_000;

/**
 * Deletes routed events past retention, oldest first, once per {@link PRUNE_EVERY_MS}; returns
 * how many. Data kept in R2 goes first, so a failure leaves rows that say where it was.
 */
export async function pruneRouted(sql: SqlStorage, kv: SyncKvStorage, env: Env, now: number): Promise<number> {
  const prunedAt = z.number().optional().parse(kv.get("prunedAt"));
  if (prunedAt !== undefined && now - prunedAt < PRUNE_EVERY_MS) return 0;
  const cutoff = now - eventRetentionMs(env);
  const rows = sql
    .exec<{ id: string; claim: string | null }>(
      `SELECT id, claim FROM events WHERE received_at < ?1 AND routed_at IS NOT NULL ORDER BY received_at LIMIT ?2`,
      cutoff,
      PRUNE_BATCH,
    )
    .toArray();
  const keys = rows.flatMap((row) => (row.claim ? [claimSchema.parse(JSON.parse(row.claim)).key] : []));
  for (let at = 0; at < keys.length; at += 1_000) await env.PAYLOADS?.delete(keys.slice(at, at + 1_000));
  if (rows.length > 0)
    sql.exec(
      `DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))`,
      JSON.stringify(rows.map((row) => row.id)),
    );
  pruneEffects(sql, cutoff);
  if (rows.length < PRUNE_BATCH) kv.put("prunedAt", now);
  return rows.length;
}
