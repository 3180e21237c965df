/**
 * Retention, with time skipped: a pass at a moment past the retention period deletes ended runs
 * (their index rows and their objects' storage) and expired idempotency keys, and keeps a run
 * still going. Events are pruned by their shards (test/event-shards.test.ts). Events recorded in
 * D1 before events were sharded move into their shards, routing state and all.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { pruneOnce, retentionMs } from "../src/retention/prune.ts";
import { moveLegacyEvents } from "../src/retention/legacy-d1.ts";
import { shardOf, storedEvent } from "./event-shards.ts";
import { executions } from "./functions.ts";
import { client } from "./helpers.ts";
import { indexedRun, indexedRuns } from "./indexed.ts";
import { countRuns } from "../src/core/run-index/read.ts";

const DAY = 24 * 60 * 60 * 1000;
const count = async (sql: string, ...args: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...args)
      .first<{ n: number }>()
  )?.n ?? 0;

describe("retention", () => {
  it("a pass past the period empties the tables and the objects of what ended, and keeps what has not", async () => {
    expect(retentionMs(env)).toBe(30 * DAY);
    const key = crypto.randomUUID();
    const ended = await client.run("test-parallel", { key, n: 2 });
    expect(ended.status).toBe("completed");
    const sleeping = await client.invoke("onboard-user", { userId: `retention-${key}`, email: "r@example.com" });
    await client.waitUntil(sleeping, (run) => run.status === "sleeping");
    await env.DB.prepare("INSERT INTO idempotency_keys (function_id, key, run_id, expires_at) VALUES ('f', ?1, 'r', 1)")
      .bind(key)
      .run();
    await expect.poll(async () => (await indexedRun(ended.id))?.endedAt ?? null).not.toBeNull();

    // A pass now deletes nothing of these: they are younger than the period.
    await pruneOnce(env);
    expect(await indexedRun(ended.id)).toBeDefined();

    // Time skipped past the period: passes until nothing is left to prune.
    const later = Date.now() + 31 * DAY;
    for (let pass = 0; pass < 20; pass++) {
      const pruned = await pruneOnce(env, later);
      if (pruned.runs + pruned.idempotencyKeys === 0) break;
    }
    expect(await indexedRun(ended.id)).toBeUndefined();
    expect(await count("SELECT count(*) AS n FROM idempotency_keys WHERE key = ?1", key)).toBe(0);
    const left = (await indexedRuns()).filter((run) => run.endedAt !== null && run.endedAt < later - 30 * DAY);
    expect(left).toEqual([]);
    // The counters lost the purged runs with their rows.
    expect((await countRuns(env, { functionId: "test-parallel" })).completed ?? 0).toBe(
      (await indexedRuns({ functionId: "test-parallel", status: "completed" })).length,
    );
    const stored = await runInDurableObject(
      env.RUN.get(env.RUN.idFromName(ended.id)),
      async (_instance, state) => state.storage.sql.exec("SELECT count(*) AS n FROM history").one().n,
    );
    expect(stored).toBe(0);
    expect(await env.RUN.get(env.RUN.idFromName(ended.id)).getRun()).toBeNull();

    // Kept: the run still sleeping.
    expect((await client.getRun(sleeping)).status).toBe("sleeping");
  });
});

describe("events recorded in D1 before events were sharded", () => {
  it("move into their shards as they were, and an unrouted one is then routed there", async () => {
    const key = crypto.randomUUID();
    const [routed, unrouted] = [`legacy-routed-${key}`, `legacy-unrouted-${key}`];
    const receivedAt = Date.now() - 60 * 60_000;
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO events (id, name, data, ts, received_at, routed_at) VALUES (?1, 'test/none', '{}', ?2, ?2, ?2)",
      ).bind(routed, receivedAt),
      env.DB.prepare(
        "INSERT INTO events (id, name, data, ts, received_at) VALUES (?1, 'test/fanout', ?2, ?3, ?3)",
      ).bind(unrouted, JSON.stringify({ key }), receivedAt),
    ]);
    expect(await moveLegacyEvents(env)).toBeGreaterThanOrEqual(2);
    expect(await count("SELECT count(*) AS n FROM events")).toBe(0);
    expect(await storedEvent(routed)).toMatchObject({ receivedAt, routedAt: receivedAt });
    expect((await storedEvent(unrouted))?.routedAt).toBeUndefined();
    // Its shard's sweep routes it, with the run ids it would have had.
    await runDurableObjectAlarm(shardOf(unrouted));
    await expect.poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`))).toEqual([1, 1, 1]);
    await expect.poll(async () => (await storedEvent(unrouted))?.routedAt).toBeTypeOf("number");
    // Moving again finds nothing, and a second copy would change nothing.
    expect(await moveLegacyEvents(env)).toBe(0);
  });
});
