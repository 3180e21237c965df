import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runIndexShard } from "../src/core/objects.ts";
import { runConditions } from "../src/core/run-index/filter.ts";
import { runStats } from "../src/core/run-index/read.ts";
import { indexRuns } from "../src/core/run-index/write.ts";
import { pageSql, whereOf } from "../src/core/db/cursor.ts";
import { client } from "./helpers.ts";
import { queryPlan } from "./query-plan.ts";

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

  it("pages listing runs refresh themselves every 2 s, with no WebSocket to any index object", async () => {
    for (const path of ["/dashboard/runs", "/dashboard/functions", "/dashboard/events"]) {
      const html = await (await SELF.fetch(`http://stepwise${path}`)).text();
      expect(html, path).toContain('data-poll="2000"');
      expect(html, path).not.toContain("data-live=");
    }
    // A page further down a listing stays as it was read.
    const deeper = await (await SELF.fetch("http://stepwise/dashboard/runs?cursor=MTIzLCJ4Il0")).text();
    expect(deeper).not.toContain("data-poll=");
  });

  it("refuses a plain request on a live endpoint, and has none for the index", async () => {
    const runId = await client.invoke("onboard-user", { userId: "plain", email: "p@example.com" });
    expect((await SELF.fetch(`http://stepwise/dashboard/runs/${runId}/live`)).status).toBe(426);
    expect((await SELF.fetch("http://stepwise/dashboard/live/index/0")).status).toBe(404);
  });
});

describe("dashboard queries use the indexes", () => {
  const filters = [
    {},
    { status: "failed" },
    { eventName: "user/signed-up" },
    { eventId: "e" },
    { after: 1 },
    { status: "failed", after: 1 },
  ];

  it("every filter of the runs page reads an index of a run-index shard, for the page and for the counts", async () => {
    const shard = runIndexShard(env, "plans", 0);
    // The tables are made when the shard is first used.
    expect(await shard.counts({})).toEqual({});
    const plans = await runInDurableObject(shard, async (_instance, state) =>
      filters.map((filter) => {
        const plan = (sql: string, params: unknown[]) => queryPlan(state.storage.sql, sql, ...params);
        const page = pageSql({
          table: "runs",
          columns: "*",
          timeColumn: "created_at",
          conditions: runConditions(filter),
          cursor: { at: 5, id: "x" },
          limit: 50,
        });
        const { status: _status, ...countFilter } = filter as { status?: string };
        const { where, params } = whereOf(runConditions(countFilter));
        return {
          filter,
          page: plan(page.sql, page.params),
          count: plan(`SELECT status, count(*) AS n FROM runs ${where} GROUP BY status`, params),
        };
      }),
    );
    for (const { filter, page, count } of plans) {
      expect(page, JSON.stringify(filter)).toMatch(/USING (COVERING )?INDEX/);
      expect(page, JSON.stringify(filter)).not.toContain("USE TEMP B-TREE");
      if (Object.keys(filter).length > 0) expect(count, JSON.stringify(filter)).toMatch(/USING (COVERING )?INDEX/);
    }
  });
});

describe("function statistics", () => {
  it("counts per status, failure rate, and p50/p95 by nearest rank, for every function, from the shards' counters", async () => {
    const now = Date.now();
    const rows: [string, string, number, number | null][] = [];
    for (let i = 1; i <= 20; i++) rows.push([`stat-a-${i}`, "completed", now - 1_000, now - 1_000 + i * 10]);
    rows.push(
      ["stat-a-f1", "failed", now - 900, now],
      ["stat-a-f2", "failed", now - 900, now],
      ["stat-a-c", "cancelled", now - 900, now],
    );
    rows.push(["stat-b-1", "running", now - 500, null], ["stat-b-2", "completed", now - 500, now - 500 + 7]);
    await indexRuns(
      env,
      rows.map(([id, status, createdAt, endedAt]) => ({
        id,
        functionId: id.startsWith("stat-a") ? "stats-a" : "stats-b",
        status,
        eventId: "e",
        eventName: "x",
        attempt: 0,
        parentRunId: null,
        error: null,
        createdAt,
        endedAt,
        updatedAt: createdAt,
      })),
    );
    const stats = await runStats(env, now - 60_000);
    const a = stats.get("stats-a")!;
    expect(a).toMatchObject({ byStatus: { completed: 20, failed: 2, cancelled: 1 }, total: 23, failureRate: 2 / 23 });
    // From histograms: within 2% of the exact 100 and 190 ms.
    expect(Math.abs(a.p50Ms! - 100)).toBeLessThanOrEqual(2);
    expect(Math.abs(a.p95Ms! - 190)).toBeLessThanOrEqual(3.8);
    expect(stats.get("stats-b")).toMatchObject({ total: 2, failureRate: 0, p50Ms: 7, p95Ms: 7 });
  });
});
