import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { INDEX_BUFFER_SHARDS } from "../src/core/objects.ts";
import { countByStatus, statsByFunction } from "../src/core/db/run-stats.ts";
import { runConditions } from "../src/core/db/run-queries.ts";
import { pageSql, whereOf } from "../src/core/db/cursor.ts";
import { client } from "./helpers.ts";

/** Opens a dashboard WebSocket and collects what it hears. */
async function watch(path: string): Promise<{ messages: unknown[]; close: () => void }> {
  const response = await SELF.fetch(`http://stepwise${path}`, { headers: { upgrade: "websocket" } });
  expect(response.status).toBe(101);
  const socket = response.webSocket!;
  socket.accept();
  const messages: unknown[] = [];
  socket.addEventListener("message", (event) => messages.push(JSON.parse(String(event.data))));
  return { messages, close: () => socket.close(1000, "done") };
}

describe("live dashboard", () => {
  it("a run's page hears of its changes from the RunObject as they happen", async () => {
    const runId = await client.invoke("onboard-user", { userId: "live", email: "l@example.com" });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    const feed = await watch(`/dashboard/runs/${runId}/live`);
    await client.skipTime(runId);
    await expect.poll(() => feed.messages.length).toBeGreaterThan(0);
    expect(feed.messages.at(-1)).toMatchObject({ type: "changed", seq: expect.any(Number) });
    feed.close();
  });

  it("pages listing runs hear when the run index is written", async () => {
    const feeds = await Promise.all(
      Array.from({ length: INDEX_BUFFER_SHARDS }, (_, shard) => watch(`/dashboard/live/index/${shard}`)),
    );
    await client.run("test-parallel", { key: "live-index", n: 2 });
    await expect.poll(() => feeds.reduce((sum, feed) => sum + feed.messages.length, 0)).toBeGreaterThan(0);
    for (const feed of feeds) feed.close();
  });

  it("refuses a plain request on a live endpoint", async () => {
    expect((await SELF.fetch("http://stepwise/dashboard/live/index/0")).status).toBe(426);
    expect((await SELF.fetch("http://stepwise/dashboard/live/index/99")).status).toBe(404);
  });
});

describe("dashboard queries use the indexes", () => {
  const plan = async (statement: D1PreparedStatement): Promise<string> => {
    const { results } = await statement.all<{ detail: string }>();
    return results.map((row) => row.detail).join("\n");
  };
  const explain = (sql: string, params: unknown[]) => env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params);
  const filters = [
    {},
    { functionId: "f" },
    { status: "failed" },
    { functionId: "f", status: "failed" },
    { eventName: "user/signed-up" },
    { eventId: "e" },
    { after: 1 },
  ];

  it("every filter of the runs page reads an index, for the page and for the counts", async () => {
    for (const filter of filters) {
      const page = pageSql({
        table: "runs",
        columns: "*",
        timeColumn: "created_at",
        conditions: runConditions(filter),
        cursor: { at: 5, id: "x" },
        limit: 50,
      });
      const pagePlan = await plan(explain(page.sql, page.params));
      expect(pagePlan, JSON.stringify(filter)).toMatch(/USING (COVERING )?INDEX/);
      expect(pagePlan, JSON.stringify(filter)).not.toContain("USE TEMP B-TREE");
      const { status: _status, ...countFilter } = filter as { status?: string };
      const { where, params } = whereOf(runConditions(countFilter));
      const countPlan = await plan(explain(`SELECT status, count(*) AS n FROM runs ${where} GROUP BY status`, params));
      expect(countPlan, JSON.stringify(filter)).toMatch(/USING (COVERING )?INDEX/);
    }
    expect(await countByStatus(env.DB, {})).toBeTypeOf("object");
  });
});

describe("function statistics", () => {
  it("counts per status, failure rate, and p50/p95 by nearest rank, for every function in two queries", async () => {
    const now = Date.now();
    const rows: [string, string, number, number | null][] = [];
    for (let i = 1; i <= 20; i++) rows.push([`stat-a-${i}`, "completed", now - 1_000, now - 1_000 + i * 10]);
    rows.push(
      ["stat-a-f1", "failed", now - 900, now],
      ["stat-a-f2", "failed", now - 900, now],
      ["stat-a-c", "cancelled", now - 900, now],
    );
    rows.push(["stat-b-1", "running", now - 500, null], ["stat-b-2", "completed", now - 500, now - 500 + 7]);
    await env.DB.batch(
      rows.map(([id, status, created, ended]) =>
        env.DB.prepare(
          `INSERT INTO runs (id, function_id, status, event_id, event_name, attempt, created_at, ended_at, updated_at) VALUES (?1, ?2, ?3, 'e', 'x', 0, ?4, ?5, ?4)`,
        ).bind(id, id.startsWith("stat-a") ? "stats-a" : "stats-b", status, created, ended),
      ),
    );
    const stats = await statsByFunction(env.DB, now - 60_000);
    expect(stats.get("stats-a")).toEqual({
      byStatus: { completed: 20, failed: 2, cancelled: 1 },
      total: 23,
      failureRate: 2 / 23,
      p50Ms: 100,
      p95Ms: 190,
    });
    expect(stats.get("stats-b")).toMatchObject({ total: 2, failureRate: 0, p50Ms: 7, p95Ms: 7 });
  });
});
