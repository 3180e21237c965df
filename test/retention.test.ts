/**
 * Retention, with time skipped: a pass at a moment past the retention period deletes old events,
 * ended runs (their index rows and their objects' storage) and expired idempotency keys, and
 * keeps what must stay: a run still going and an event not routed yet.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { pruneOnce, retentionMs } from "../src/retention/prune.ts";
import { client, sendEvents } from "./helpers.ts";

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
    const [eventId] = await sendEvents({ name: `retention/${key}`, data: {} });
    await expect
      .poll(() => count("SELECT count(*) AS n FROM events WHERE id = ?1 AND routed_at IS NOT NULL", eventId))
      .toBe(1);
    const sleeping = await client.invoke("onboard-user", { userId: `retention-${key}`, email: "r@example.com" });
    await client.waitUntil(sleeping, (run) => run.status === "sleeping");
    await env.DB.prepare(
      "INSERT INTO events (id, name, data, ts, received_at) VALUES (?1, 'retention/unrouted', '{}', 0, 0)",
    )
      .bind(`unrouted-${key}`)
      .run();
    await env.DB.prepare("INSERT INTO idempotency_keys (function_id, key, run_id, expires_at) VALUES ('f', ?1, 'r', 1)")
      .bind(key)
      .run();
    await expect
      .poll(() => count("SELECT count(*) AS n FROM runs WHERE id = ?1 AND ended_at IS NOT NULL", ended.id))
      .toBe(1);

    // A pass now deletes nothing of these: they are younger than the period.
    await pruneOnce(env);
    expect(await count("SELECT count(*) AS n FROM runs WHERE id = ?1", ended.id)).toBe(1);

    // Time skipped past the period: passes until nothing is left to prune.
    const later = Date.now() + 31 * DAY;
    for (let pass = 0; pass < 20; pass++) {
      const pruned = await pruneOnce(env, later);
      if (pruned.events + pruned.runs + pruned.idempotencyKeys === 0) break;
    }
    expect(await count("SELECT count(*) AS n FROM runs WHERE id = ?1", ended.id)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM events WHERE id = ?1", eventId)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM idempotency_keys WHERE key = ?1", key)).toBe(0);
    expect(
      await count("SELECT count(*) AS n FROM runs WHERE ended_at IS NOT NULL AND ended_at < ?1", later - 30 * DAY),
    ).toBe(0);
    const stored = await runInDurableObject(
      env.RUN.get(env.RUN.idFromName(ended.id)),
      async (_instance, state) => state.storage.sql.exec("SELECT count(*) AS n FROM history").one().n,
    );
    expect(stored).toBe(0);
    expect(await env.RUN.get(env.RUN.idFromName(ended.id)).getRun()).toBeNull();

    // Kept: the run still sleeping, and the event never routed.
    expect((await client.getRun(sleeping)).status).toBe("sleeping");
    expect(await count("SELECT count(*) AS n FROM events WHERE id = ?1", `unrouted-${key}`)).toBe(1);
  });
});
