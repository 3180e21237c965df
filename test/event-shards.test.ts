/**
 * EventShards: the sweep under routing (each shard re-queues what stays unrouted, backing off, and
 * gives up after MAX_SWEEPS), dedup by id, retention, and the ids Stepwise assigns.
 */
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SWEEP_BEHIND_MS, SWEEP_GRACE_MS } from "../durable-objects/events/event-shard.ts";
import { claimUnrouted } from "../durable-objects/events/sweep.ts";
import { MAX_SWEEPS } from "../src/core/events/schema.ts";
import { eventQueues, queueOfShard } from "../src/core/events/queues.ts";
import { eventShardCount, idInShard } from "../src/core/events/shards.ts";
import { enqueueEvents } from "../src/core/events/enqueue.ts";
import { markRouted, markRouteFailed } from "../src/core/events/store.ts";
import { idsInOneShard, recordAt, shardNumberOf, shardOf, shardSql, storedEvent } from "./event-shards.ts";
import { executions } from "./functions.ts";
import { sendEvents } from "./helpers.ts";
import { restartedWithoutName } from "./unnamed-restart.ts";

const sweepsOf = async (id: string) => (await shardSql(id, "SELECT sweeps FROM events WHERE id = ?1", id))[0]?.sweeps;

describe("an EventShard's sweep", () => {
  it("routes events that were accepted but never reached the queue, once", async () => {
    const key = crypto.randomUUID();
    const id = `lost-${key}`;
    // Accepted (recorded) long enough ago, but the queue never had it: a restart between accept and route.
    expect(await recordAt({ id, name: "test/fanout", data: { key } }, Date.now() - SWEEP_GRACE_MS - 1_000)).toBe(true);
    const shard = shardOf(id);
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    await expect.poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`))).toEqual([1, 1, 1]);
    await expect.poll(async () => (await storedEvent(id))?.routedAt).toBeTypeOf("number");
    // Swept again: the event is routed, so nothing is queued and nothing re-runs.
    await runInDurableObject(shard, (_instance, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(shard);
    expect(await sweepsOf(id)).toBe(1);
  });

  it("while routing makes progress, leaves an unrouted event to the queue until it is 10 minutes old", async () => {
    const now = Date.now();
    const [flowing, behind, lost] = idsInOneShard(3) as [string, string, string];
    await recordAt({ id: flowing, name: "test/none" }, now);
    await markRouted(env, shardNumberOf(flowing), [flowing], now);
    await recordAt({ id: behind, name: "test/none" }, now - 5 * SWEEP_GRACE_MS);
    await recordAt({ id: lost, name: "test/none" }, now - SWEEP_BEHIND_MS - 1_000);
    await runDurableObjectAlarm(shardOf(lost));
    // Only the one past 10 minutes was re-queued (and is routed now); the other is left to its message.
    await expect.poll(async () => (await storedEvent(lost))?.routedAt).toBeTypeOf("number");
    expect(await sweepsOf(behind)).toBe(0);
    expect((await storedEvent(behind))?.routedAt).toBeUndefined();
    await markRouted(env, shardNumberOf(behind), [behind]);
  });

  it("sweeps from an alarm that reaches a fresh instance without its name, as after a restart", async () => {
    const key = crypto.randomUUID();
    const id = `restart-${key}`;
    // Old enough to be re-queued even if the shard routed something in the last 30 s (another
    // test's event may share it; the sweep would then take this one for behind, not lost).
    expect(await recordAt({ id, name: "test/fanout", data: { key } }, Date.now() - SWEEP_BEHIND_MS - 1_000)).toBe(true);
    // The instance goes; the runtime's alarm then reaches the object by id alone, with no name.
    const unnamed = await restartedWithoutName(env.EVENT_SHARDS, shardOf(id));
    expect(await runDurableObjectAlarm(unnamed)).toBe(true);
    // Through the queue and its consumer: under a loaded machine that takes more than a second.
    await expect
      .poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`)), { timeout: 10_000 })
      .toEqual([1, 1, 1]);
  });

  it("leaves recent unrouted events to the queue and re-arms until they are routed", async () => {
    const id = `recent-${crypto.randomUUID()}`;
    await recordAt({ id, name: "test/none" }, Date.now());
    const shard = shardOf(id);
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect(await sweepsOf(id)).toBe(0);
    const alarm = await runInDurableObject(shard, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now());
    await markRouted(env, shardNumberOf(id), [id]);
  });
});

describe("events whose routing keeps failing", () => {
  it("are re-queued further and further apart: 2, 3, 5, 9, 17 and then every 33 grace periods", async () => {
    const id = `backoff-${crypto.randomUUID()}`;
    const start = Date.now() - 2_000 * SWEEP_GRACE_MS;
    await recordAt({ id, name: "test/none" }, start);
    // The alarm comes back every grace period while anything is unrouted.
    const claimedAt: number[] = await runInDurableObject(shardOf(id), (_instance, state) => {
      const claimed: number[] = [];
      for (let at = start + SWEEP_GRACE_MS; claimed.length < 8; at += SWEEP_GRACE_MS)
        if (claimUnrouted(state.storage.sql, at - SWEEP_GRACE_MS, at, 5_000, SWEEP_GRACE_MS).includes(id))
          claimed.push(at);
      return claimed;
    });
    const gaps = claimedAt.slice(1).map((at, i) => (at - claimedAt[i]!) / SWEEP_GRACE_MS);
    expect(gaps).toEqual([3, 5, 9, 17, 33, 33, 33]);
    expect((claimedAt[0]! - start) / SWEEP_GRACE_MS).toBe(2);
    await markRouted(env, shardNumberOf(id), [id]);
  });

  it("the sweep gives up after MAX_SWEEPS re-queues; a reroute makes the event eligible again", async () => {
    const id = `stuck-${crypto.randomUUID()}`;
    const longAgo = Date.now() - 10 * SWEEP_GRACE_MS;
    await recordAt({ id, name: "test/none" }, longAgo);
    // Each sweep happens a grace period after the last, as the alarm would run them.
    const claims = await runInDurableObject(shardOf(id), (_instance, state) => {
      let n = 0;
      for (let sweep = 0; sweep < MAX_SWEEPS + 3; sweep++) {
        const at = longAgo + (sweep + 2) * SWEEP_GRACE_MS * 2;
        if (claimUnrouted(state.storage.sql, at - SWEEP_GRACE_MS, at, 5_000).includes(id)) n++;
      }
      return n;
    });
    expect(claims).toBe(MAX_SWEEPS);
    await markRouteFailed(env, shardNumberOf(id), [id], "Error: the shard was unavailable");
    expect(await storedEvent(id)).toMatchObject({
      routingAbandoned: true,
      routeError: "Error: the shard was unavailable",
    });
    expect((await SELF.fetch(`http://stepwise/v1/events/${id}`).then((r) => r.json())) as unknown).toMatchObject({
      event: { routingAbandoned: true },
    });
    const page = await (await SELF.fetch(`http://stepwise/dashboard/events/${id}`)).text();
    expect(page).toContain(`Routing was given up after ${MAX_SWEEPS} tries: Error: the shard was unavailable`);

    const reroute = await SELF.fetch(`http://stepwise/v1/events/${id}/reroute`, { method: "POST" });
    expect(reroute.status).toBe(202);
    await expect.poll(async () => (await storedEvent(id))?.routedAt).toBeTypeOf("number");
    expect((await SELF.fetch(`http://stepwise/v1/events/${id}/reroute`, { method: "POST" })).status).toBe(409);
    expect((await SELF.fetch(`http://stepwise/v1/events/no-such-event/reroute`, { method: "POST" })).status).toBe(404);
  });

  it("an event row that cannot be read is set aside with the reason, and the events queued with it are routed", async () => {
    const key = crypto.randomUUID();
    const [good, bad] = idsInOneShard(2) as [string, string];
    await recordAt({ id: good, name: "test/fanout", data: { key } }, Date.now());
    await shardSql(
      bad,
      `INSERT INTO events (id, name, data, ts, received_at) VALUES (?1, 'test/fanout', '{not json', 0, ?2)`,
      bad,
      Date.now(),
    );
    await enqueueEvents(env, shardNumberOf(good), [bad, good]);
    await expect.poll(async () => (await storedEvent(good))?.routedAt).toBeTypeOf("number");
    await expect
      .poll(async () => (await shardSql(bad, "SELECT sweeps, route_error FROM events WHERE id = ?1", bad))[0])
      .toMatchObject({ sweeps: MAX_SWEEPS, route_error: expect.stringContaining("cannot be read") });
    // It does not break the listings, and the API says it is not there as an event.
    expect((await SELF.fetch("http://stepwise/v1/events?limit=200")).status).toBe(200);
    expect((await SELF.fetch("http://stepwise/dashboard/events")).status).toBe(200);
    expect((await SELF.fetch(`http://stepwise/v1/events/${bad}`)).status).toBe(404);
    // At MAX_SWEEPS the sweep does not re-queue it.
    const claimed = await runInDurableObject(shardOf(bad), (_instance, state) =>
      claimUnrouted(state.storage.sql, Date.now() + 60 * SWEEP_GRACE_MS, Date.now(), 5_000),
    );
    expect(claimed).not.toContain(bad);
  });
});

describe("where events live", () => {
  it("a batch without ids is recorded in one shard, and every event is found by its id", async () => {
    const ids = await sendEvents(Array.from({ length: 20 }, () => ({ name: "shards/none", data: {} })));
    expect(new Set(ids.map(shardNumberOf)).size).toBe(1);
    for (const id of ids) expect((await storedEvent(id))?.id).toBe(id);
  });

  it("a client id repeated within a day is recorded once and not routed again", async () => {
    const id = `dedup-${crypto.randomUUID()}`;
    const now = Date.now();
    expect(await recordAt({ id, name: "shards/none" }, now - 1_000)).toBe(true);
    expect(await recordAt({ id, name: "shards/none" }, now)).toBe(false);
    expect((await storedEvent(id))?.receivedAt).toBe(now - 1_000);
    // Past the day it counts as a new event.
    const old = `dedup-old-${crypto.randomUUID()}`;
    await recordAt({ id: old, name: "shards/none" }, now - 25 * 60 * 60 * 1000);
    expect(await recordAt({ id: old, name: "shards/none" }, now)).toBe(true);
    await markRouted(env, shardNumberOf(id), [id]);
    await markRouted(env, shardNumberOf(old), [old]);
  });

  it("retention prunes routed events past the period from their shard and keeps unrouted ones", async () => {
    const [routed, unrouted] = idsInOneShard(2) as [string, string];
    const longAgo = Date.now() - 40 * 24 * 60 * 60 * 1000;
    await recordAt({ id: routed, name: "shards/none" }, longAgo);
    await recordAt({ id: unrouted, name: "shards/none" }, longAgo);
    await markRouted(env, shardNumberOf(routed), [routed]);
    await markRouteFailed(env, shardNumberOf(unrouted), [unrouted], "kept for a person", true);
    const shard = shardOf(routed);
    await runInDurableObject(shard, async (_instance, state) => {
      state.storage.kv.delete("prunedAt");
      await state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(shard);
    expect(await storedEvent(routed)).toBeNull();
    expect((await storedEvent(unrouted))?.routingAbandoned).toBe(true);
    // Pruning is hourly: this pass is noted, and the alarm stays set while the shard holds events.
    const prunedAt = await runInDurableObject(shard, (_instance, state) => state.storage.kv.get("prunedAt"));
    expect(prunedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(await runInDurableObject(shard, (_instance, state) => state.storage.getAlarm())).not.toBeNull();
  });
});

describe("the events queues", () => {
  it("carry each shard's messages on the shard's queue, and the one consumer routes them all", async () => {
    // The tests bind two queues (vitest.config.ts): even shards send to EVENTS, odd ones to EVENTS_1.
    const queues = eventQueues(env);
    expect(queues).toHaveLength(2);
    expect(queueOfShard(env, 0)).toBe(env.EVENTS);
    expect(queueOfShard(env, 1)).toBe(env.EVENTS_1);
    const key = crypto.randomUUID();
    const ids = [0, 1].map((shard) => idInShard(shard, eventShardCount(env)));
    await sendEvents(ids.map((id, n) => ({ id, name: "test/fanout", data: { key: `${key}-${n}` } })));
    await expect
      .poll(() => [0, 1].flatMap((n) => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}-${n}`))), {
        timeout: 10_000,
      })
      .toEqual([1, 1, 1, 1, 1, 1]);
  });
});
