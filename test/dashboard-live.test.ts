import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { INDEX_BUFFER_SHARDS } from "../durable-objects/run-index/run-index-buffer.ts";
import { countByStatus } from "../src/db/run-stats.ts";
import { runConditions } from "../src/db/run-queries.ts";
import { pageSql, whereOf } from "../src/db/cursor.ts";
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
    const feeds = await Promise.all(Array.from({ length: INDEX_BUFFER_SHARDS }, (_, shard) => watch(`/dashboard/live/index/${shard}`)));
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
      const page = pageSql({ table: "runs", columns: "*", timeColumn: "created_at", conditions: runConditions(filter), cursor: { at: 5, id: "x" }, limit: 50 });
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
