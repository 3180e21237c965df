/**
 * Idempotency keys: a function's key holds the run it started for 24 hours. Keys live in
 * IdempotencyShards, picked by a hash of (function, key), so claims spread over the shards and one
 * routing makes one call per shard its claims fall in. A fixed count: keys last a day, so a
 * changed count would only matter for that day, and the count is sized for the published limits
 * (docs/scale.md).
 */
import { z } from "zod";
import type { Env } from "../env.ts";
import { idempotencyShard } from "../objects.ts";
import { fnv1a } from "../lib/hash.ts";
import { groupBy } from "../lib/group.ts";

/** Shards the keys are spread over: 500 claims/s each at half the soft limit, 16k claims/s in all. */
export const IDEMPOTENCY_SHARDS = 32;

/** A run that wants a key. */
export const keyClaimSchema = z.object({ functionId: z.string(), key: z.string(), runId: z.string() });
export type KeyClaim = z.infer<typeof keyClaimSchema>;

/** The shard that holds a function's key. */
export function keyShardOf(functionId: string, key: string): number {
  return fnv1a(JSON.stringify([functionId, key])) % IDEMPOTENCY_SHARDS;
}

/** Claims each key for its run (one call per shard) and returns the claims that hold their key. */
export async function claimKeys(env: Env, claims: KeyClaim[], now: number): Promise<KeyClaim[]> {
  const byShard = groupBy(claims, (claim) => keyShardOf(claim.functionId, claim.key));
  const held = await Promise.all(
    [...byShard].map(async ([shard, some]) =>
      z.array(keyClaimSchema).parse(await idempotencyShard(env, shard).claim(some, now)),
    ),
  );
  return held.flat();
}
