/**
 * The start-up pass (issue 19): after a restart, events accepted before it are re-queued at once
 * rather than a grace period later, and a run whose alarm the restart left late (only the
 * watchdog, a minute out) or missing is re-armed, so it goes on within seconds.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventSweeper as sweeper } from "../src/core/objects.ts";
import { RECOVER_EVERY_MS } from "../durable-objects/sweeper/event-sweeper.ts";
import { SWEEP_GRACE_MS } from "../durable-objects/events/event-shard.ts";
import { recordAt, shardOf, shardSql, storedEvent } from "./event-shards.ts";
import { executions } from "./functions.ts";
import { client } from "./helpers.ts";
import { indexedRun } from "./indexed.ts";

/** A start-up pass, as an isolate's first request asks for it (the once-per-10-s guard reset, as after a restart). */
async function startUpPass(startedAt: number): Promise<void> {
  const stub = sweeper(env);
  await runInDurableObject(stub, (_instance, state) => state.storage.delete("recoveredAt"));
  expect(await stub.recover(startedAt)).toBeLessThanOrEqual(Date.now());
  // The pass runs in the sweeper's alarm, armed for now: it is done once its record is gone.
  await runDurableObjectAlarm(stub);
  await expect
    .poll(() => runInDurableObject(stub, (_instance, state) => state.storage.get("recovery")), { timeout: 15_000 })
    .toBeUndefined();
}

const indexedStatus = async (runId: string) => (await indexedRun(runId))?.status;

describe("the start-up pass", () => {
  it("re-queues at once events accepted before the isolate started, well inside the grace period", async () => {
    const key = crypto.randomUUID();
    const id = `before-restart-${key}`;
    // Accepted three seconds before the restart; the local queue's copy of it died with the server.
    await recordAt({ id, name: "test/fanout", data: { key } }, Date.now() - 3_000);
    // The grace-period sweep leaves it for another 29 s.
    await runInDurableObject(shardOf(id), (_instance, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(shardOf(id));
    expect((await shardSql(id, "SELECT sweeps FROM events WHERE id = ?1", id))[0]?.sweeps).toBe(0);
    await startUpPass(Date.now());
    // The pass asked every shard for its own pass, which runs in the shard's alarm.
    await runDurableObjectAlarm(shardOf(id));
    await expect
      .poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`)), { timeout: 5_000 })
      .toEqual([1, 1, 1]);
    await expect.poll(async () => (await storedEvent(id))?.routedAt).toBeTypeOf("number");
    // Events accepted after the isolate started, or just before (their message is likely on its
    // way), are the queue's: the pass leaves them alone.
    const later = `after-start-${key}`;
    const justBefore = `just-before-start-${key}`;
    await recordAt({ id: later, name: "test/none" }, Date.now());
    await recordAt({ id: justBefore, name: "test/none" }, Date.now() - 500);
    await startUpPass(Date.now() - SWEEP_GRACE_MS);
    await startUpPass(Date.now());
    for (const left of [later, justBefore]) {
      await runDurableObjectAlarm(shardOf(left));
      expect((await shardSql(left, "SELECT sweeps FROM events WHERE id = ?1", left))[0]?.sweeps).toBe(0);
    }
  });

  it("a restart soon after a pass still gets one, deferred to the pace of one per 10 s", async () => {
    const stub = sweeper(env);
    await startUpPass(Date.now());
    const askedAt = Date.now();
    const at = await stub.recover(askedAt);
    expect(at).toBeGreaterThan(askedAt + RECOVER_EVERY_MS - 1_000);
    expect(at).toBeLessThanOrEqual(askedAt + RECOVER_EVERY_MS);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.get("recovery"))).toEqual({
      before: askedAt,
    });
    // A third start before it runs joins it.
    expect(await stub.recover(askedAt + 1)).toBe(at);
    await runDurableObjectAlarm(stub);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.get("recovery"))).toBeUndefined();
  });

  it("runs once per deployment version: later isolates of it ask for nothing, a new version gets its own", async () => {
    const stub = sweeper(env);
    const recovery = () => runInDurableObject(stub, (_instance, state) => state.storage.get("recovery"));
    await runInDurableObject(stub, (_instance, state) => state.storage.delete("recoveredAt"));
    const version = crypto.randomUUID();
    const startedAt = Date.now() - 1_000;
    expect(await stub.recover(startedAt, version)).toBeLessThanOrEqual(Date.now());
    // Another isolate of the version starts before the pass ran: it joins, and does not move the
    // pass's start (what it would presume lost is the queue's backlog).
    await stub.recover(Date.now(), version);
    expect(await recovery()).toEqual({ before: startedAt, version });
    // The alarm is due now, so it may already be running on its own: wait for the pass to end.
    await runDurableObjectAlarm(stub);
    await expect.poll(recovery).toBeUndefined();
    // Every later isolate of that version: no pass, no alarm.
    expect(await stub.recover(Date.now(), version)).toBeNull();
    expect(await recovery()).toBeUndefined();
    // A new version (a deploy) gets its pass, at the pace of one per 10 s, and then no more.
    const next = crypto.randomUUID();
    const nextStart = Date.now();
    expect(await stub.recover(nextStart, next)).toBeGreaterThan(nextStart);
    expect(await recovery()).toEqual({ before: nextStart, version: next });
    await runDurableObjectAlarm(stub);
    await expect.poll(recovery).toBeUndefined();
    expect(await stub.recover(Date.now(), next)).toBeNull();
    expect(await stub.recover(Date.now(), version)).toBeNull();
  });

  it(
    "a sleeper whose wake-up passed with only the watchdog armed completes within seconds",
    { timeout: 30_000 },
    async () => {
      const runId = await client.invoke("onboard-user", {
        userId: crypto.randomUUID(),
        email: "r@example.com",
        followUpAfter: "2s",
      });
      await client.waitUntil(runId, (run) => run.status === "sleeping");
      await expect.poll(() => indexedStatus(runId)).toBe("sleeping");
      // The restart cut the drive off after the sleep was recorded, before its wake-up was armed.
      const run = env.RUN.get(env.RUN.idFromName(runId));
      await runInDurableObject(run, (_instance, state) => state.storage.setAlarm(Date.now() + 60_000));
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const passAt = Date.now();
      await startUpPass(passAt);
      await expect.poll(() => indexedStatus(runId), { timeout: 10_000, interval: 100 }).toBe("completed");
      expect(Date.now() - passAt).toBeLessThan(10_000);
    },
  );

  it("leaves an alarm that is already on time, and a sleeper's far wake-up, where they are", async () => {
    const runId = await client.invoke("onboard-user", {
      userId: crypto.randomUUID(),
      email: "r@example.com",
      followUpAfter: "1h",
    });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    const run = env.RUN.get(env.RUN.idFromName(runId));
    const wake = await runInDurableObject(run, (_instance, state) => state.storage.getAlarm());
    expect(await run.resume()).toEqual({ at: wake, rearmed: false });
    // Lost altogether: armed again at the sleep's end, not earlier.
    await runInDurableObject(run, (_instance, state) => state.storage.deleteAlarm());
    expect(await run.resume()).toEqual({ at: wake, rearmed: true });
  });
});
