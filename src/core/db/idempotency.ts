/**
 * Idempotency keys in D1: a key holds the run it started for 24 hours. Claims for a whole batch of
 * events go in one transaction, so two deliveries racing for a key see one winner.
 */
import { z } from "zod";

/** How long a function's idempotency key keeps its run. */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** A run that wants a key. */
export interface KeyClaim {
  functionId: string;
  key: string;
  runId: string;
}

const CLAIM = `INSERT INTO idempotency_keys (function_id, key, run_id, expires_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (function_id, key) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at
WHERE idempotency_keys.expires_at <= ?5`;
const HOLDER = `SELECT run_id FROM idempotency_keys WHERE function_id = ?1 AND key = ?2`;
const holderSchema = z.object({ run_id: z.string() });

/**
 * Claims each key for its run and returns the claims that hold it: a new key, an expired one, or a
 * key this same run already holds (a redelivered event starts its run again, harmlessly).
 */
export async function claimKeys(db: D1Database, claims: KeyClaim[], now: number): Promise<KeyClaim[]> {
  if (claims.length === 0) return [];
  const statements = claims.flatMap((claim) => [
    db.prepare(CLAIM).bind(claim.functionId, claim.key, claim.runId, now + IDEMPOTENCY_TTL_MS, now),
    db.prepare(HOLDER).bind(claim.functionId, claim.key),
  ]);
  const results = await db.batch(statements);
  return claims.filter((claim, i) => {
    const [row] = results[i * 2 + 1]?.results ?? [];
    return holderSchema.safeParse(row).data?.run_id === claim.runId;
  });
}
