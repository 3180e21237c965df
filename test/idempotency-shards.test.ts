/**
 * IdempotencyShards: a key holds its first run for a day, across shards and redeliveries, and the
 * shard's alarm lets expired keys go.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { IDEMPOTENCY_TTL_MS } from "../durable-objects/keys/idempotency-shard.ts";
import { claimKeys, IDEMPOTENCY_SHARDS, keyShardOf } from "../src/core/events/idempotency.ts";
import { idempotencyShard } from "../src/core/objects.ts";
import { moveLegacyKeys } from "../src/retention/legacy-d1.ts";

const claim = (key: string, runId: string, functionId = "fn") => ({ functionId, key, runId });

describe("idempotency keys in shards", () => {
  it("one claim per key wins, a repeat by the winner still holds, and keys spread over the shards", async () => {
    const now = Date.now();
    const keys = Array.from({ length: 64 }, (_, i) => `k-${crypto.randomUUID()}-${i}`);
    const first = await claimKeys(env, [...keys.map((key) => claim(key, `a-${key}`)), claim(keys[0]!, "b")], now);
    expect(first.map((c) => c.runId).sort()).toEqual(keys.map((key) => `a-${key}`).sort());
    expect(new Set(keys.map((key) => keyShardOf("fn", key))).size).toBeGreaterThan(IDEMPOTENCY_SHARDS / 2);
    // A redelivery of the winner holds again; anyone else does not, until the key expires.
    expect(await claimKeys(env, [claim(keys[0]!, `a-${keys[0]}`), claim(keys[1]!, "c")], now + 1_000)).toEqual([
      claim(keys[0]!, `a-${keys[0]}`),
    ]);
    expect(await claimKeys(env, [claim(keys[1]!, "c")], now + IDEMPOTENCY_TTL_MS)).toEqual([claim(keys[1]!, "c")]);
    // The same key of another function is another key.
    expect(await claimKeys(env, [claim(keys[2]!, "d", "other-fn")], now)).toHaveLength(1);
  });

  it("the alarm deletes expired keys and empties a shard that holds none", async () => {
    const key = `expiring-${crypto.randomUUID()}`;
    const shard = idempotencyShard(env, keyShardOf("fn", key));
    // Claimed so that it expires in 1.5 s: claimed already expired, the shard's own alarm (armed at
    // the expiry) could delete it before it is counted.
    const expiresAt = Date.now() + 1_500;
    await claimKeys(env, [claim(key, "r")], expiresAt - IDEMPOTENCY_TTL_MS);
    const count = () =>
      runInDurableObject(shard, (_instance, state) => {
        try {
          return state.storage.sql.exec("SELECT count(*) AS n FROM keys WHERE key = ?1", key).one().n;
        } catch {
          return 0; // the shard deleted its storage: nothing is held
        }
      });
    expect(await count()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now() + 50)));
    await runInDurableObject(shard, (_instance, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(shard);
    expect(await count()).toBe(0);
  });

  it("keys claimed in D1 before keys were sharded move into their shards and keep their runs", async () => {
    const key = `legacy-${crypto.randomUUID()}`;
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (function_id, key, run_id, expires_at) VALUES ('fn', ?1, 'old', ?2)",
    )
      .bind(key, Date.now() + 60_000)
      .run();
    expect(await moveLegacyKeys(env)).toBeGreaterThanOrEqual(1);
    // Moved, they are gone from D1: the next tick finds nothing to move.
    expect(await moveLegacyKeys(env)).toBe(0);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE key = ?1").bind(key).first();
    expect(left).toEqual({ n: 0 });
    expect(await claimKeys(env, [claim(key, "new")], Date.now())).toEqual([]);
    expect(await claimKeys(env, [claim(key, "new")], Date.now() + 61_000)).toEqual([claim(key, "new")]);
  });
});
