/**
 * The run index in shards per function: rows spread over a function's shards by run id, pages
 * merged by keyset exactly as one table would give them, counts from per-hour counters equal to
 * counting the rows, and p50/p95 from merged histograms within 2% of the exact figures.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunIndexRow } from "../src/core/db/runs.ts";
import { RUN_INDEX_SHARDS_PER_FUNCTION, runIndexShard } from "../src/core/objects.ts";
import { countRuns, listRuns, runStats, runsForEvents } from "../src/core/run-index/read.ts";
import { indexRuns, indexShardOf } from "../src/core/run-index/write.ts";
import { HOUR_MS } from "../src/core/run-index/histogram.ts";
import type { RunFilter } from "../src/core/run-index/filter.ts";
import { queryPlan } from "./query-plan.ts";
import { createIndexTables } from "../durable-objects/run-index/index-store.ts";
import { indexedRun, indexedRuns } from "./indexed.ts";

const STATUSES = ["completed", "completed", "completed", "failed", "running", "waiting", "cancelled"] as const;

/** A deterministic spread of runs over `hours` hours before `end`, several events and statuses. */
function runsOf(functionId: string, count: number, end: number, hours: number): RunIndexRow[] {
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, (_, n) => {
    const createdAt = Math.floor(end - next() * hours * HOUR_MS);
    const status = STATUSES[Math.floor(next() * STATUSES.length)]!;
    const ended = status === "completed" || status === "failed" || status === "cancelled";
    return {
      id: `${functionId}-run-${String(n).padStart(5, "0")}`,
      functionId,
      status,
      eventId: `evt-${n % 50}`,
      eventName: n % 3 === 0 ? "shop/order.placed" : "shop/order.paid",
      attempt: 0,
      parentRunId: null,
      error: status === "failed" ? "Error: boom" : null,
      createdAt,
      endedAt: ended ? createdAt + Math.floor(10 + next() * 60_000) : null,
      updatedAt: createdAt + 100_000,
    };
  });
}

/** The runs matching `filter` in one list, newest first, as one table would answer. */
function reference(rows: RunIndexRow[], filter: Omit<RunFilter, "cursor" | "limit">): RunIndexRow[] {
  return rows
    .filter(
      (row) =>
        (filter.status === undefined || row.status === filter.status) &&
        (filter.eventId === undefined || row.eventId === filter.eventId) &&
        (filter.eventName === undefined || row.eventName === filter.eventName) &&
        (filter.after === undefined || row.createdAt >= filter.after) &&
        (filter.before === undefined || row.createdAt < filter.before),
    )
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
}

function countsOf(rows: RunIndexRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

describe("run index shards", () => {
  const end = Date.UTC(2026, 11, 4, 12, 30);
  const fn = `shop-${crypto.randomUUID().slice(0, 8)}`;
  const other = `mail-${crypto.randomUUID().slice(0, 8)}`;
  const rows = runsOf(fn, 600, end, 30);
  const otherRows = runsOf(other, 150, end, 30);

  it("spread a function's runs over its shards and list them merged, page by page, as one table would", async () => {
    await indexRuns(env, [...rows, ...otherRows]);
    const used = new Set(rows.map((row) => indexShardOf(row.id)));
    expect(used.size).toBe(RUN_INDEX_SHARDS_PER_FUNCTION);
    for (const filter of [
      {},
      { status: "failed" },
      { eventName: "shop/order.placed" },
      { eventId: "evt-7" },
      { after: end - 24 * HOUR_MS },
      { after: end - 7 * HOUR_MS - 123_456, before: end - 2 * HOUR_MS + 7 },
      { status: "completed", after: end - 10 * HOUR_MS },
    ]) {
      const expected = reference(rows, filter).map((row) => row.id);
      expect(
        (await indexedRuns({ ...filter, functionId: fn }, 37)).map((row) => row.id),
        JSON.stringify(filter),
      ).toEqual(expected);
    }
    // Without a function, every function's shards merge the same way.
    const both = reference([...rows, ...otherRows], { status: "waiting" }).map((row) => row.id);
    expect((await indexedRuns({ status: "waiting" }, 50)).map((row) => row.id)).toEqual(both);
    // And the runs of some events, at most a few each, oldest first.
    const byEvent = await runsForEvents(env, ["evt-3", "evt-4", "evt-none"], 5);
    for (const id of ["evt-3", "evt-4"])
      expect(byEvent.get(id)?.map((row) => row.id)).toEqual(
        reference([...rows, ...otherRows], { eventId: id })
          .reverse()
          .slice(0, 5)
          .map((row) => row.id),
      );
    expect(byEvent.has("evt-none")).toBe(false);
  });

  it("count per status from their counters, equal to counting the rows, whatever the window's edges", async () => {
    for (const filter of [
      {},
      { after: end - 24 * HOUR_MS },
      { after: end - 5 * HOUR_MS - 1, before: end - HOUR_MS + 1 },
      { after: end - 30 * 60_000, before: end - 10 * 60_000 },
      { before: end - 3 * HOUR_MS },
      { eventName: "shop/order.paid", after: end - 12 * HOUR_MS },
      { eventName: "shop/order.placed" },
      { eventName: "shop/order.placed", after: end - 5 * HOUR_MS - 1, before: end - HOUR_MS + 1 },
      { eventName: "shop/order.paid", after: end - 30 * 60_000, before: end - 10 * 60_000 },
      { eventName: "no/such-event" },
    ])
      expect(await countRuns(env, { ...filter, functionId: fn }), JSON.stringify(filter)).toEqual(
        countsOf(reference(rows, filter)),
      );
  });

  it("keep a run's newest row, and their counters follow its status", async () => {
    const run = rows.find((row) => row.status === "running")!;
    const done = { ...run, status: "completed", endedAt: run.createdAt + 5_000, updatedAt: run.updatedAt + 10 };
    await indexRuns(env, [done]);
    // A late delivery of the older row changes nothing.
    await indexRuns(env, [run]);
    const updated = rows.map((row) => (row.id === run.id ? done : row));
    expect(await countRuns(env, { functionId: fn })).toEqual(countsOf(updated));
    const byName = { eventName: run.eventName };
    expect(await countRuns(env, { functionId: fn, ...byName })).toEqual(countsOf(reference(updated, byName)));
    const [listed] = (await listRuns(env, { functionId: fn, eventId: run.eventId, limit: 100 })).items.filter(
      (row) => row.id === run.id,
    );
    expect(listed).toEqual(done);
    rows.splice(rows.indexOf(run), 1, done);
  });

  it("keep an ended row over one of the same moment that is not, and refuse another function's rows", async () => {
    const id = `${fn}-tie`;
    const running = { ...rows[0]!, id, status: "running", endedAt: null, updatedAt: end };
    const done = { ...running, status: "completed", endedAt: end };
    await indexRuns(env, [done]);
    await indexRuns(env, [running]);
    expect((await indexedRun(id))?.status).toBe("completed");
    const shard = runIndexShard(env, fn, indexShardOf(id));
    const refused = await shard.indexRows([{ ...running, id: `${other}-stray`, functionId: other }]).then(
      () => "taken",
      (error: unknown) => String(error),
    );
    expect(refused).toMatch(/this shard holds/);
    await shard.forget([id]);
  });

  it("give a function's figures from merged histograms: exact counts, p50 and p95 within 2%", async () => {
    const since = end - 20 * HOUR_MS - 17_000;
    const all = await runStats(env, since);
    expect([...all.keys()].sort()).toEqual([fn, other].sort());
    const stats = (await runStats(env, since, fn)).get(fn)!;
    const window = reference(rows, { after: since });
    expect(stats.byStatus).toEqual(countsOf(window));
    expect(stats.total).toBe(window.length);
    const byStatus = countsOf(window);
    const ended = (byStatus.completed ?? 0) + (byStatus.failed ?? 0) + (byStatus.cancelled ?? 0);
    expect(stats.failureRate).toBeCloseTo((byStatus.failed ?? 0) / ended, 10);
    const durations = window
      .filter((row) => row.status === "completed")
      .map((row) => row.endedAt! - row.createdAt)
      .sort((a, b) => a - b);
    const rank = (r: number) => durations[r - 1]!;
    const p50 = rank(Math.floor((durations.length + 1) / 2));
    const p95 = rank(Math.floor((durations.length * 19 + 19) / 20));
    expect(Math.abs(stats.p50Ms! - p50) / p50).toBeLessThanOrEqual(0.02);
    expect(Math.abs(stats.p95Ms! - p95) / p95).toBeLessThanOrEqual(0.02);
    expect((await runStats(env, since, "nothing-here")).size).toBe(0);
  });

  it("fill the per-event counters from the rows of a shard an earlier release made without them", async () => {
    const shard = runIndexShard(env, fn, indexShardOf(rows[0]!.id));
    const placed = { functionId: fn, eventName: "shop/order.placed" };
    const before = await countRuns(env, placed);
    await runInDurableObject(shard, async (_instance, state) => {
      state.storage.sql.exec("DROP TABLE run_event_counts");
      createIndexTables(state.storage.sql);
      // Made once: a second start does not count the rows again.
      createIndexTables(state.storage.sql);
    });
    expect(await countRuns(env, placed)).toEqual(before);
    expect(before).toEqual(countsOf(reference(rows, placed)));
  });

  it("answer every page and count by an index, never a scan of the runs", async () => {
    const shard = runIndexShard(env, fn, 0);
    // The tables are made when the shard is first used.
    await shard.counts({});
    const plans = await runInDurableObject(shard, async (_instance, state) => {
      const plan = (query: string, ...args: unknown[]) => queryPlan(state.storage.sql, query, ...args);
      const page = "ORDER BY created_at DESC, id DESC LIMIT 51";
      return [
        plan(`SELECT * FROM runs ${page}`),
        plan(`SELECT * FROM runs WHERE status = ?1 ${page}`, "failed"),
        plan(`SELECT * FROM runs WHERE event_name = ?1 ${page}`, "x"),
        plan(`SELECT * FROM runs WHERE event_id = ?1 ${page}`, "x"),
        plan(`SELECT * FROM runs WHERE created_at >= ?1 AND (created_at, id) < (?2, ?3) ${page}`, 1, 2, "x"),
        plan(`SELECT status, count(*) AS n FROM runs WHERE created_at >= ? AND created_at < ? GROUP BY status`, 1, 2),
        plan(`SELECT status, sum(n) AS n FROM run_counts WHERE hour >= ? GROUP BY status`, 1),
        plan(`SELECT bucket, sum(n) AS n FROM run_durations WHERE hour >= ? GROUP BY bucket`, 1),
        plan(
          `SELECT status, sum(n) AS n FROM run_event_counts WHERE event_name = ? AND hour >= ? GROUP BY status`,
          "x",
          1,
        ),
      ];
    });
    for (const plan of plans) expect(plan).not.toMatch(/SCAN runs\b(?! USING)/);
    for (const plan of plans.slice(6)) expect(plan).toMatch(/USING (INDEX|PRIMARY KEY)|SEARCH/);
  });

  it("find a tag's or a metadata key's runs by their labels, not by walking every run", async () => {
    const shard = runIndexShard(env, fn, 0);
    await shard.counts({});
    const plans = await runInDurableObject(shard, async (_instance, state) => {
      const plan = (query: string, ...args: unknown[]) => queryPlan(state.storage.sql, query, ...args);
      const labelled = "id IN (SELECT id FROM run_labels WHERE kind = 't' AND label = ?1)";
      return [
        plan(`SELECT * FROM runs WHERE ${labelled} ORDER BY created_at DESC, id DESC LIMIT 51`, "x"),
        plan(`SELECT status, count(*) AS n FROM runs WHERE ${labelled} GROUP BY status`, "x"),
      ];
    });
    for (const plan of plans) {
      expect(plan).toMatch(/SEARCH run_labels USING (COVERING INDEX|PRIMARY KEY|INDEX) sqlite_autoindex_run_labels/);
      expect(plan).toMatch(/SEARCH runs USING INDEX sqlite_autoindex_runs_1 \(id=\?\)/);
    }
  });
});
