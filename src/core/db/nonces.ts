/**
 * The replay guard of Stepwise's own signed routes: accepted nonces in D1 (one table, shared by
 * every isolate), each row deleted once its signature is stale. Signed requests to Stepwise are
 * rare (an app's sync), so one small write each costs nothing.
 */
import type { ReplayGuard } from "../../../sdk/replay-guard.ts";

/** Stale rows deleted per claim, so the table stays small without a sweep of its own. */
const PRUNE_BATCH = 100;

export function d1ReplayGuard(db: D1Database, now: () => number = Date.now): ReplayGuard {
  return {
    async claim(nonce, expiresAt) {
      const [, inserted] = await db.batch([
        db
          .prepare(
            "DELETE FROM signature_nonces WHERE nonce IN (SELECT nonce FROM signature_nonces WHERE expires_at < ?1 LIMIT ?2)",
          )
          .bind(now(), PRUNE_BATCH),
        db.prepare("INSERT OR IGNORE INTO signature_nonces (nonce, expires_at) VALUES (?1, ?2)").bind(nonce, expiresAt),
      ]);
      return (inserted?.meta.changes ?? 0) === 1;
    },
  };
}
