/**
 * IdempotencyShard: one of the Durable Objects that hold functions' idempotency keys (the core's
 * src/core/events/idempotency.ts says which shard holds which key). A key holds the run it started
 * for 24 hours; the claims of one routing for this shard come in one call and are decided in one
 * synchronous block, so two deliveries racing for a key see one winner. The alarm deletes expired
 * keys, so a shard holds at most a day of keys.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { keyClaimSchema, type KeyClaim } from "../../src/core/events/idempotency.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { LazyTables } from "../lib/lazy-tables.ts";

/** How long a function's idempotency key keeps its run. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Expired keys one alarm deletes at most; it comes back at once for the rest. */
const PRUNE_BATCH = 5_000;

function createTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS keys (
    function_id TEXT NOT NULL, key TEXT NOT NULL, run_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (function_id, key))`);
  sql.exec(`CREATE INDEX IF NOT EXISTS keys_by_expiry ON keys (expires_at)`);
}

const CLAIM = `INSERT INTO keys (function_id, key, run_id, expires_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (function_id, key) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at
WHERE keys.expires_at <= ?5`;
const HOLDER = `SELECT run_id FROM keys WHERE function_id = ?1 AND key = ?2`;

const claimsSchema = z.array(keyClaimSchema).min(1);

export class IdempotencyShard extends DurableObject<Env> {
  private readonly tables = new LazyTables(this.ctx.storage.sql, createTables);

  private get sql(): SqlStorage {
    return this.tables.sql;
  }

  /**
   * Claims each key for its run and returns the claims that hold it: a new key, an expired one, or
   * a key this same run already holds (a redelivered event starts its run again, harmlessly).
   */
  async claim(input: KeyClaim[], now: number): Promise<KeyClaim[]> {
    const claims = parseInput(claimsSchema, input, "idempotency claims");
    const at = z.number().int().parse(now);
    const held = this.ctx.storage.transactionSync(() =>
      claims.filter((claim) => {
        this.sql.exec(CLAIM, claim.functionId, claim.key, claim.runId, at + IDEMPOTENCY_TTL_MS, at);
        const [holder] = this.sql.exec(HOLDER, claim.functionId, claim.key).toArray();
        return holder?.run_id === claim.runId;
      }),
    );
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null) await this.ctx.storage.setAlarm(at + IDEMPOTENCY_TTL_MS);
    return held;
  }

  /**
   * Takes in keys claimed elsewhere (D1, before keys were sharded) until they expire as they
   * would have; a key already here is left as it is.
   */
  async adopt(input: (KeyClaim & { expiresAt: number })[]): Promise<void> {
    const keys = parseInput(z.array(keyClaimSchema.extend({ expiresAt: z.number().int() })), input, "keys");
    this.ctx.storage.transactionSync(() => {
      for (const k of keys)
        this.sql.exec(
          `INSERT INTO keys (function_id, key, run_id, expires_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING`,
          ...[k.functionId, k.key, k.runId, k.expiresAt],
        );
    });
    const first = Math.min(...keys.map((k) => k.expiresAt));
    const armed = await this.ctx.storage.getAlarm();
    if (keys.length > 0 && (armed === null || armed > first)) await this.ctx.storage.setAlarm(first);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const deleted = this.sql
      .exec(
        `DELETE FROM keys WHERE rowid IN (SELECT rowid FROM keys WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2) RETURNING 1`,
        now,
        PRUNE_BATCH,
      )
      .toArray().length;
    if (deleted === PRUNE_BATCH) return this.ctx.storage.setAlarm(now);
    const [next] = this.sql.exec(`SELECT min(expires_at) AS at FROM keys`).toArray();
    if (typeof next?.at === "number") await this.ctx.storage.setAlarm(next.at);
    else {
      await this.ctx.storage.deleteAll();
      this.tables.forget();
    }
  }
}
