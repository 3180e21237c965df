/**
 * Routing by listened names: an event whose name no run waits for is not handed to a WaitIndex; a
 * wait on such a name finds in the EventShards what it missed; an index left idle lets go of its name and its
 * storage; and the upgrade pass has the runs of an older version register their waits again.
 */
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { listenedIn, settleListening, unlistenInShards } from "../src/core/events/listening.ts";
import { waitTarget } from "../src/core/waits/wait-targets.ts";
import { allShards } from "../src/core/events/shards.ts";
import { eventShard } from "../src/core/objects.ts";
import { storedEventSchema } from "../src/core/events/schema.ts";
import { readShardEvents } from "../src/core/events/store.ts";
import { z } from "zod";
import { idsInOneShard, recordAt, shardNumberOf } from "./event-shards.ts";
import { relistenOnce } from "../src/waits/relisten.ts";
import { client, runFor, sendEvents as send } from "./helpers.ts";
import { restartedWithoutName } from "./unnamed-restart.ts";
import { indexedRun } from "./indexed.ts";
import { upsertRun } from "../src/core/db/runs.ts";
import { moveLegacyRuns } from "../src/core/run-index/legacy-d1-runs.ts";

const tables = (name: string) =>
  runInDurableObject(env.WAITS.get(env.WAITS.idFromName(name)), async (_instance, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name",
      )
      .toArray()
      .map((row) => row.name),
  );
/** Whether `name` is listened for (1) or not (0): in D1's list, and then in every shard, or in none. */
const listed = async (name: string) => {
  const inD1 =
    (await env.DB.prepare("SELECT count(*) AS n FROM wait_names WHERE name = ?1").bind(name).first<{ n: number }>())
      ?.n ?? 0;
  const inShards = await Promise.all(
    allShards(env).map(async (shard) => (await listenedIn(env, shard, [name])).listened.includes(name)),
  );
  expect(inShards.filter(Boolean).length).toBe(inD1 === 1 ? allShards(env).length : 0);
  return inD1;
};
const routed = async (id: string) => {
  for (let i = 0; i < 100; i++) {
    const body = (await (await SELF.fetch(`http://stepwise/v1/events/${id}`)).json()) as {
      event?: { routedAt: string | null };
    };
    if (typeof body.event?.routedAt === "string") return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`event ${id} was not routed`);
};
const waiter = (runId: string, lookbackMs: number) => ({
  runId,
  stepId: "wait",
  runEvent: { id: `trigger-${runId}`, name: "test/trigger", data: {}, ts: Date.now() },
  startedAt: Date.now(),
  lookbackMs,
  until: Date.now() + 60_000,
});

describe("events of a name no run waits for", () => {
  it("are not handed to a WaitIndex: its object keeps nothing", async () => {
    const name = `test/nobody-waits-${crypto.randomUUID()}`;
    const [id] = await send({ name, data: {} });
    await routed(id!);
    expect(await tables(name)).toEqual([]);
    expect(await listed(name)).toBe(0);
  });

  it("are found in the EventShards by a wait that starts listening after them, and the name's later events are delivered", async () => {
    const name = `test/late-listener-${crypto.randomUUID()}`;
    const [before] = await send({ name, data: { n: 1 } });
    await routed(before!);
    const index = env.WAITS.get(env.WAITS.idFromName(name));
    const early = (await index.register(waiter("late-listener-run", 60_000))) as { id: string } | null;
    expect(early?.id).toBe(before);
    expect(await listed(name)).toBe(1);
    // A waiter that stays: from now on the router delivers the name's events to the index.
    expect(await index.register({ ...waiter("another-run", 0), condition: "async.data.n == 2" })).toBeNull();
    const [after] = await send({ name, data: { n: 2 } });
    await routed(after!);
    const arrived = await runInDurableObject(index, async (_instance, state) =>
      state.storage.sql
        .exec<{ id: string }>("SELECT id FROM arrived ORDER BY received_at")
        .toArray()
        .map((row) => row.id),
    );
    expect(arrived).toEqual([before, after]);
  });
});

/** A WaitIndex of a new name that listened for one wait and has none left (its idle alarm armed). */
async function leftIdle(prefix: string) {
  const name = `${prefix}-${crypto.randomUUID()}`;
  const index = env.WAITS.get(env.WAITS.idFromName(name));
  expect(await index.register(waiter(`${prefix}-run`, 0))).toBeNull();
  await index.forget(`${prefix}-run`);
  return { name, index };
}

describe("an idle WaitIndex", () => {
  it("lets go of its name and its storage once no run has waited for an hour, and listens again for the next wait", async () => {
    const name = `test/idle-index-${crypto.randomUUID()}`;
    const index = env.WAITS.get(env.WAITS.idFromName(name));
    expect(await index.register(waiter("idle-run", 0))).toBeNull();
    expect(await listed(name)).toBe(1);
    // Its waiter still there, the alarm changes nothing.
    await runInDurableObject(index, async (_instance, state) => state.storage.setAlarm(Date.now() + 60_000));
    await runDurableObjectAlarm(index);
    expect(await listed(name)).toBe(1);
    await index.forget("idle-run");
    const alarm = await runInDurableObject(index, async (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() + 60 * 60_000);
    expect(await runDurableObjectAlarm(index)).toBe(true);
    expect(await listed(name)).toBe(0);
    expect(await tables(name)).toEqual([]);
    expect(await index.register(waiter("next-run", 0))).toBeNull();
    expect(await listed(name)).toBe(1);
  });

  it("does not let go while a wait is registering: the wait is kept and its name still listened", async () => {
    const { name, index } = await leftIdle("test/idle-racing");
    // The idle alarm fires while a wait whose lookback reaches past what is held is reading the
    // shards (its registration awaits them before it keeps the waiter).
    const registering = index.register(waiter("racing-run", 60 * 60_000));
    const alarm = runDurableObjectAlarm(index);
    expect(await registering).toBeNull();
    await alarm;
    const kept = await runInDurableObject(index, (_instance, state) =>
      state.storage.sql.exec<{ run_id: string }>("SELECT run_id FROM waiters").toArray(),
    );
    expect(kept.map((row) => row.run_id)).toEqual(["racing-run"]);
    expect(await listed(name)).toBe(1);
  });

  it("lets go of its name from an alarm that reaches a fresh instance without the name, as after a restart", async () => {
    const { name, index } = await leftIdle("test/idle-restart");
    const unnamed = await restartedWithoutName(env.WAITS, index);
    expect(await runDurableObjectAlarm(unnamed)).toBe(true);
    expect(await listed(name)).toBe(0);
  });
});

describe("the EventShards' listened names", () => {
  it("close the race in each shard: an event recorded before the listening is in its answer, one after is named for routing", async () => {
    const name = `test/shard-race-${crypto.randomUUID()}`;
    const [first, second] = idsInOneShard(2) as [string, string];
    const shard = eventShard(env, shardNumberOf(first));
    const record = (id: string) =>
      shard.record({ events: [{ id, name, data: {}, ts: Date.now() }], receivedAt: Date.now() });
    const settled = { keyed: [], unsettled: false, catalog: expect.any(Number) };
    expect(await record(first)).toEqual({ fresh: [first], listened: [], ...settled });
    const since = Date.now();
    const answered = z.array(storedEventSchema).parse(await shard.listen(name, since, since - 60_000, 10));
    expect(answered.map((event) => event.id)).toEqual([first]);
    expect(await record(second)).toEqual({ fresh: [second], listened: [name], ...settled });
    const read = (ids: string[]) => readShardEvents(env, shardNumberOf(first), ids);
    expect((await read([first, second])).listening.listened).toEqual([name]);
    await shard.unlisten(name, since);
    expect((await read([second])).listening.listened).toEqual([]);
  });

  it("a shard that does not know the names yet (a raised shard count) hands every name on until it is given them", async () => {
    const name = `test/new-shard-${crypto.randomUUID()}`;
    expect(await env.WAITS.get(env.WAITS.idFromName(name)).register(waiter("new-shard-run", 0))).toBeNull();
    const shard = allShards(env).at(-1)!;
    await eventShard(env, shard).unlisten(name);
    await eventShard(env, shard).settleListening([], "all");
    expect(await listenedIn(env, shard, ["test/anything", name])).toEqual({
      listened: ["test/anything", name],
      keyed: [],
      unsettled: true,
    });
    expect(await settleListening(env)).toBe(1);
    expect(await listenedIn(env, shard, ["test/anything", name])).toEqual({
      listened: [name],
      keyed: [],
      unsettled: false,
    });
    expect(await settleListening(env)).toBe(0);
    // A name D1 lists that a shard lacks (written only to D1 by an index of the previous release
    // during a deploy) is given to it by the next settle, which every tick runs.
    await eventShard(env, 0).unlisten(name);
    expect((await listenedIn(env, 0, [name])).listened).toEqual([]);
    expect(await settleListening(env)).toBe(0);
    expect((await listenedIn(env, 0, [name])).listened).toEqual([name]);
  });
});

/** The WaitIndex the wait of an approval-flow run (a match on invoiceId) lives in: a keyed shard. */
const approvalTarget = (created: string, invoiceId: string) =>
  waitTarget("test/invoice.approved", "event.data.invoiceId == async.data.invoiceId", {
    id: created,
    name: "test/invoice.created",
    data: { invoiceId },
    ts: 0,
  });

/** An approval-flow run, started and waiting for its approval, and the index its wait is in. */
async function waitingApproval() {
  const invoiceId = crypto.randomUUID();
  const [created] = await send({ name: "test/invoice.created", data: { invoiceId } });
  const runId = await runFor(created!, "approval-flow");
  await client.waitUntil(runId, (run) => run.status === "waiting");
  return { invoiceId, runId, ...approvalTarget(created!, invoiceId) };
}

describe("keyed waits", () => {
  it("spread one name's waits over shards of their values, each listening for itself, and each event reaches only its own", async () => {
    const invoices = Array.from({ length: 12 }, () => crypto.randomUUID());
    const started = await send(invoices.map((invoiceId) => ({ name: "test/invoice.created", data: { invoiceId } })));
    const runIds = await Promise.all(started.map((id) => runFor(id, "approval-flow")));
    await Promise.all(runIds.map((runId) => client.waitUntil(runId, (run) => run.status === "waiting")));
    const targets = invoices.map((invoiceId, n) => approvalTarget(started[n]!, invoiceId).keyed!);
    const slots = new Set(targets.map((target) => target.slot));
    expect(slots.size).toBeGreaterThan(4);
    // Every shard names the keyed shards as listening, and no home index for the name.
    const listening = await listenedIn(env, 0, ["test/invoice.approved"]);
    expect(listening.listened).toEqual([]);
    for (const target of targets) expect(listening.keyed).toContainEqual(target);
    // Each approval resumes its own run only.
    await send(invoices.map((invoiceId, n) => ({ name: "test/invoice.approved", data: { invoiceId, amount: n } })));
    const outputs = await Promise.all(runIds.map(async (runId) => (await client.waitForEnd(runId)).output));
    expect(outputs).toEqual(invoices.map((_, n) => ({ paid: n })));
  });

  it("a keyed shard lets go of its listening when idle, like a home, and takes its identity back with the next wait", async () => {
    const runEvent = { id: "k-trigger", name: "test/keyed.start", data: { orderId: crypto.randomUUID() }, ts: 0 };
    const target = waitTarget(
      `test/keyed-idle-${crypto.randomUUID()}`,
      "event.data.orderId == async.data.orderId",
      runEvent,
    );
    const index = env.WAITS.get(env.WAITS.idFromName(target.name));
    const keyedWaiter = { ...waiter("keyed-run", 0), runEvent, condition: "event.data.orderId == async.data.orderId" };
    const d1Rows = async () =>
      (await env.DB.prepare("SELECT event_name, path, slot FROM wait_names WHERE name = ?1").bind(target.name).all())
        .results;
    expect(await index.register(keyedWaiter, target.keyed)).toBeNull();
    expect(await d1Rows()).toEqual([
      { event_name: target.keyed!.event, path: target.keyed!.path, slot: target.keyed!.slot },
    ]);
    for (const shard of allShards(env))
      expect((await listenedIn(env, shard, [target.keyed!.event])).keyed).toEqual([target.keyed]);
    await index.forget("keyed-run");
    expect(await runDurableObjectAlarm(index)).toBe(true);
    expect(await d1Rows()).toEqual([]);
    for (const shard of allShards(env)) expect((await listenedIn(env, shard, [target.keyed!.event])).keyed).toEqual([]);
    expect(await index.register(keyedWaiter, target.keyed)).toBeNull();
    expect((await listenedIn(env, 0, [target.keyed!.event])).keyed).toEqual([target.keyed]);
  });

  it("reach a keyed shard through a shard that does not know it (a raised shard count): D1's list is asked", async () => {
    const { invoiceId, runId, name: index, keyed } = await waitingApproval();
    // The approval goes to a shard that lost the keyed row and delivers every name (as a new one would).
    const [id] = idsInOneShard(1) as [string];
    const shard = eventShard(env, shardNumberOf(id));
    await shard.unlisten(index);
    await shard.settleListening([], "all");
    expect((await listenedIn(env, shardNumberOf(id), ["test/invoice.approved"])).keyed).not.toContainEqual(keyed);
    await send({ id, name: "test/invoice.approved", data: { invoiceId, amount: 3 } });
    expect((await client.waitForEnd(runId)).output).toEqual({ paid: 3 });
    await settleListening(env);
  });
});

describe("a keyed shard's lookback", () => {
  it("finds the events of its own slot, however many newer events of the name are of other slots", async () => {
    const name = `test/lookback-slots-${crypto.randomUUID()}`;
    const condition = "event.data.orderId == async.data.orderId";
    const target = (orderId: string) =>
      waitTarget(name, condition, { id: "t", name: "test/start", data: { orderId }, ts: 0 }).keyed!;
    const mine = target("order-mine");
    const others = Array.from({ length: 40 }, (_, n) => `order-${n}`).filter((id) => target(id).slot !== mine.slot);
    const ids = idsInOneShard(others.length + 1);
    const start = Date.now() - 60_000;
    // The slot's event is the oldest; the newer ones are all of other slots.
    await recordAt({ id: ids[0]!, name, data: { orderId: "order-mine" } }, start);
    for (const [n, orderId] of others.entries())
      await recordAt({ id: ids[n + 1]!, name, data: { orderId } }, start + n + 1);
    const found = z
      .array(storedEventSchema)
      .parse(await eventShard(env, shardNumberOf(ids[0]!)).namedSince(name, start, 5, mine));
    expect(found.map((event) => event.id)).toEqual([ids[0]]);
  });
});

describe("keyed shards during a gradual deployment", () => {
  it("a keyed shard's listening written by the release before keyed shards is repaired by the next listening of it", async () => {
    const { name: index, keyed } = await waitingApproval();
    // The older release wrote the shard's name as if it were an event name: no event, path or slot.
    await runInDurableObject(eventShard(env, 0), async (_instance, state) =>
      state.storage.sql.exec("UPDATE listened SET event = NULL, path = NULL, slot = NULL WHERE name = ?1", index),
    );
    expect((await listenedIn(env, 0, ["test/invoice.approved"])).keyed).not.toContainEqual(keyed);
    // An index of the older release names no keyed shard as it listens: the name says which it is.
    await eventShard(env, 0).listen(index, Date.now(), Date.now(), 1);
    expect((await listenedIn(env, 0, ["test/invoice.approved"])).keyed).toContainEqual(keyed);
  });

  it("a keyed shard that listened before keyed shards listens again with its next wait, and its held wait gets the event it missed", async () => {
    const { invoiceId, runId, name: index } = await waitingApproval();
    // As the older release left it: listening for its own name, which no event has.
    await unlistenInShards(env, index);
    const stub = env.WAITS.get(env.WAITS.idFromName(index));
    await runInDurableObject(stub, async (_instance, state) => state.storage.kv.delete("keyed"));
    const [approved] = await send({ name: "test/invoice.approved", data: { invoiceId, amount: 9 } });
    await routed(approved!);
    expect((await client.getRun(runId)).status).toBe("waiting");
    // The next wait on the shard comes from the new release.
    const runEvent = { id: `trigger-${crypto.randomUUID()}`, name: "test/invoice.created", data: { invoiceId }, ts: 0 };
    const condition = "event.data.invoiceId == async.data.invoiceId";
    await stub.register({ ...waiter(`late-${crypto.randomUUID()}`, 0), runEvent, condition });
    expect((await client.waitForEnd(runId)).output).toEqual({ paid: 9 });
  });
});

describe("the upgrade to listened names", () => {
  it("delivers every name while older runs register their waits again, a page per tick, then stops", async () => {
    const { invoiceId, runId, name: index, keyed } = await waitingApproval();
    // As a run of the older version left it: its wait is in the index, but the name is not listed.
    // (The wait matches on invoiceId, so it is in the keyed shard of that value.)
    expect(keyed).toBeDefined();
    await vi.waitFor(async () => (await indexedRun(runId)) ?? Promise.reject(new Error("not indexed yet")));
    await unlistenInShards(env, index);
    await runInDurableObject(env.WAITS.get(env.WAITS.idFromName(index)), async (_instance, state) =>
      state.storage.kv.delete("covered"),
    );
    await env.DB.prepare("INSERT INTO wait_names_upgrade (id, after) VALUES (1, '')").run();
    await settleListening(env);
    for (const shard of allShards(env))
      expect((await listenedIn(env, shard, ["test/anything"])).listened).toEqual(["test/anything"]);
    // Runs still in D1's old index are moved into the shards first: the pass waits for them.
    await upsertRun(env.DB, {
      id: `legacy-${crypto.randomUUID()}`,
      functionId: "approval-flow",
      status: "completed",
      eventId: "e",
      eventName: "test/invoice.created",
      attempt: 0,
      parentRunId: null,
      error: null,
      createdAt: 1,
      endedAt: 2,
      updatedAt: 2,
    }).run();
    expect(await relistenOnce(env)).toEqual({ asked: 0, done: false });
    expect(await moveLegacyRuns(env)).toBeGreaterThan(0);
    let pass = await relistenOnce(env);
    expect(pass.asked).toBeGreaterThan(0);
    while (!pass.done) pass = await relistenOnce(env);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM wait_names_upgrade").first<{ n: number }>()).toEqual({
      n: 0,
    });
    // The next start-up pass or tick has every shard deliver only to listening indexes again.
    expect(await settleListening(env)).toBe(allShards(env).length);
    for (const shard of allShards(env)) {
      const listening = await listenedIn(env, shard, ["test/anything", "test/invoice.approved"]);
      expect(listening.listened).toEqual([]);
      expect(listening.keyed).toContainEqual(keyed);
    }
    await send({ name: "test/invoice.approved", data: { invoiceId, amount: 5 } });
    expect((await client.waitForEnd(runId)).output).toEqual({ paid: 5 });
  });
});
