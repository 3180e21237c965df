/**
 * The run index: each RunObject keeps an outbox (the status the index acknowledged) and sends
 * what is owed to its run-index shard again, by its alarm, until the index has it. The legacy
 * path (a RunObject of the release before index shards, during a gradual deployment) goes through
 * a RunIndexBuffer into D1, which keeps what D1 refuses until it takes it; D1's rows then move
 * into the shards.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { upsertRun, type RunIndexRow } from "../src/core/db/runs.ts";
import { runIndexShard } from "../src/core/objects.ts";
import { moveLegacyRuns } from "../src/core/run-index/legacy-d1-runs.ts";
import { indexShardOf } from "../src/core/run-index/write.ts";
import { indexedRun, indexedRuns } from "./indexed.ts";
import { client } from "./helpers.ts";

const row = (id: string, status: string, updatedAt: number): RunIndexRow => ({
  id,
  functionId: "f",
  status,
  eventId: `e-${id}`,
  eventName: "test/event",
  attempt: 0,
  parentRunId: null,
  error: null,
  createdAt: 1,
  endedAt: null,
  updatedAt,
});

describe("RunIndexBuffer (the legacy path into D1)", () => {
  it("writes rows to D1 in batches; a late, older row never replaces a newer one", async () => {
    const buffer = env.RUN_INDEX.get(env.RUN_INDEX.idFromName("test-shard"));
    await buffer.put(row("ix-1", "completed", 200));
    await buffer.put(row("ix-1", "running", 100));
    // Ended, as rows of runs that do not exist should be: a later start-up pass would otherwise
    // ask each of them to resume.
    await Promise.all(Array.from({ length: 450 }, (_, i) => buffer.put(row(`ix-many-${i}`, "completed", 10))));
    await buffer.flush();
    const one = await env.DB.prepare("SELECT status FROM runs WHERE id = 'ix-1'").first();
    expect(one).toEqual({ status: "completed" });
    const many = await env.DB.prepare("SELECT COUNT(*) AS n FROM runs WHERE id LIKE 'ix-many-%'").first();
    expect(many).toEqual({ n: 450 });

    await buffer.put(row("ix-1", "running", 150));
    await buffer.flush();
    expect(await env.DB.prepare("SELECT status FROM runs WHERE id = 'ix-1'").first()).toEqual({ status: "completed" });
  });
});

const d1Status = async (runId: string) =>
  (await env.DB.prepare("SELECT status FROM runs WHERE id = ?1").bind(runId).first<{ status: string }>())?.status;
const indexedStatus = async (runId: string) => (await indexedRun(runId))?.status;
const pendingIds = (buffer: DurableObjectStub) =>
  runInDurableObject(buffer, (_instance, state) =>
    state.storage.sql
      .exec<{ id: string }>("SELECT id FROM pending ORDER BY id")
      .toArray()
      .map((entry) => entry.id),
  );

describe("the run index when D1 refuses rows", () => {
  it("keeps refused rows, writes the others, and writes the refused ones by its alarm once D1 takes them", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const buffer = env.RUN_INDEX.get(env.RUN_INDEX.idFromName("test-refusing"));
    // D1 refuses these rows only (as a full database or a broken migration would refuse all).
    await env.DB.prepare(
      "CREATE TRIGGER refuse_for_test BEFORE INSERT ON runs WHEN NEW.id LIKE 'refused-%' BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
    ).run();
    try {
      await buffer.put(row("refused-1", "completed", 10));
      await buffer.put(row("taken-1", "completed", 10));
      expect(await buffer.flush()).toEqual({ waiting: 1 });
      expect(await d1Status("taken-1")).toBe("completed");
      expect(await pendingIds(buffer)).toEqual(["refused-1"]);
      // An alarm that finds D1 still refusing arms the next one itself.
      await runDurableObjectAlarm(buffer);
      expect(await runInDurableObject(buffer, (_instance, state) => state.storage.getAlarm())).toBeGreaterThan(
        Date.now(),
      );
      expect(await pendingIds(buffer)).toEqual(["refused-1"]);
    } finally {
      await env.DB.prepare("DROP TRIGGER refuse_for_test").run();
      vi.restoreAllMocks();
    }
    expect(await runDurableObjectAlarm(buffer)).toBe(true);
    expect(await d1Status("refused-1")).toBe("completed");
    expect(await pendingIds(buffer)).toEqual([]);
  });

  it("rows the legacy path wrote to D1 move into the run-index shards, and leave D1", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({
      ...row(`legacy-${i}`, "completed", 10),
      functionId: "legacy-fn",
    }));
    await env.DB.batch(rows.map((legacy) => upsertRun(env.DB, legacy)));
    expect(await moveLegacyRuns(env)).toBeGreaterThanOrEqual(30);
    expect(await d1Status("legacy-7")).toBeUndefined();
    expect((await indexedRuns({ functionId: "legacy-fn" })).map((run) => run.id).sort()).toEqual(
      rows.map((legacy) => legacy.id).sort(),
    );
    expect(await moveLegacyRuns(env)).toBe(0);
  });

  it("a run whose final row never reached the index sends it again by its alarm", async () => {
    const runId = await client.invoke("test-parallel", { key: crypto.randomUUID(), n: 2 });
    await client.waitUntil(runId, (run) => run.status === "completed");
    await expect.poll(() => indexedStatus(runId)).toBe("completed");
    const run = env.RUN.get(env.RUN.idFromName(runId));
    expect(await runInDurableObject(run, (_instance, state) => state.storage.kv.get("index-ack"))).toMatchObject({
      status: "completed",
    });
    // As if the last delivery had been lost with the object: the index lacks the run and the
    // outbox has no acknowledgement of the end.
    await runIndexShard(env, "test-parallel", indexShardOf(runId)).forget([runId]);
    expect(await indexedStatus(runId)).toBeUndefined();
    await runInDurableObject(run, (_instance, state) =>
      state.storage.kv.put("index-ack", { status: "running", updatedAt: 0 }),
    );
    // The start-up pass finds it listed as live and asks it to resume: the owed row is due now.
    // (This file's own start-up pass may have asked first and the row gone already: either way
    // the index ends up with the final row, which is what is checked below.)
    await run.resume();
    // Armed for now, the alarm may already have run; if not, it runs here.
    await runDurableObjectAlarm(run);
    await expect.poll(() => indexedStatus(runId)).toBe("completed");
    expect(await runInDurableObject(run, (_instance, state) => state.storage.kv.get("index-ack"))).toMatchObject({
      status: "completed",
    });
  });
});
