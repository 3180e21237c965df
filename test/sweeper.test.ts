import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventSweeper as sweeper } from "../src/core/objects.ts";
import { SWEEP_BEHIND_MS, SWEEP_GRACE_MS } from "../durable-objects/sweeper/event-sweeper.ts";
import { claimUnrouted, getEvents, markRouted, markRouteFailed, recordEvents } from "../src/core/db/events.ts";
import { MAX_SWEEPS } from "../src/core/events/schema.ts";
import { enqueueEvents } from "../src/core/events/enqueue.ts";
import { executions } from "./functions.ts";

describe("EventSweeper", () => {
  it("routes events that were accepted but never reached the queue, once", async () => {
    const key = crypto.randomUUID();
    const id = `lost-${key}`;
    // Accepted (recorded) long enough ago, but the queue never had it: a restart between accept and route.
    await recordEvents(
      env.DB,
      [{ id, name: "test/fanout", data: { key }, ts: Date.now() }],
      Date.now() - SWEEP_GRACE_MS - 1_000,
    );
    const stub = sweeper(env);
    await stub.arm();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await expect.poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`))).toEqual([1, 1, 1]);
    await expect.poll(async () => (await getEvents(env.DB, [id]))[0]?.routedAt).toBeTypeOf("number");
    // Swept again (a second alarm): the event is routed, so nothing is queued and nothing re-runs.
    expect(await stub.sweep()).toBe(0);
  });

  it("while routing makes progress, leaves an unrouted event to the queue until it is 10 minutes old", async () => {
    const key = crypto.randomUUID();
    const now = Date.now();
    const [behind, lost, flowing] = [`behind-${key}`, `lost-long-ago-${key}`, `flowing-${key}`];
    await recordEvents(env.DB, [{ id: flowing, name: "test/none", data: {}, ts: now }], now);
    await markRouted(env.DB, [flowing], now);
    await recordEvents(env.DB, [{ id: behind, name: "test/none", data: {}, ts: now }], now - 5 * SWEEP_GRACE_MS);
    await recordEvents(env.DB, [{ id: lost, name: "test/none", data: {}, ts: now }], now - SWEEP_BEHIND_MS - 1_000);
    expect(await sweeper(env).sweep()).toBe(1);
    // Only the one past 10 minutes was re-queued (and is routed now); the other is left to its message.
    await expect.poll(async () => (await getEvents(env.DB, [lost]))[0]?.routedAt).toBeTypeOf("number");
    const [left] = await getEvents(env.DB, [behind]);
    expect([left?.id, left?.routedAt]).toEqual([behind, undefined]);
    await markRouted(env.DB, [behind], Date.now());
  });

  it("leaves recent unrouted events to the queue and re-arms until they are routed", async () => {
    const key = crypto.randomUUID();
    await recordEvents(env.DB, [{ id: `recent-${key}`, name: "test/none", data: {}, ts: Date.now() }], Date.now());
    const stub = sweeper(env);
    await stub.arm();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now());
    await runInDurableObject(stub, (_instance, state) => state.storage.deleteAlarm());
  });
});

describe("events whose routing keeps failing", () => {
  it("are re-queued further and further apart: 2, 3, 5, 9, 17 and then every 33 grace periods", async () => {
    const id = `backoff-${crypto.randomUUID()}`;
    const start = Date.now() - 2_000 * SWEEP_GRACE_MS;
    await recordEvents(env.DB, [{ id, name: "test/none", data: {}, ts: start }], start);
    // The alarm comes back every grace period while anything is unrouted.
    const claimedAt: number[] = [];
    for (let at = start + SWEEP_GRACE_MS; claimedAt.length < 8; at += SWEEP_GRACE_MS) {
      if ((await claimUnrouted(env.DB, at - SWEEP_GRACE_MS, at, 5_000, SWEEP_GRACE_MS)).includes(id))
        claimedAt.push(at);
    }
    const gaps = claimedAt.slice(1).map((at, i) => (at - claimedAt[i]!) / SWEEP_GRACE_MS);
    expect(gaps).toEqual([3, 5, 9, 17, 33, 33, 33]);
    expect((claimedAt[0]! - start) / SWEEP_GRACE_MS).toBe(2);
  });

  it("the sweeper gives up after MAX_SWEEPS re-queues and stops re-arming; a reroute makes it eligible again", async () => {
    const id = `stuck-${crypto.randomUUID()}`;
    const longAgo = Date.now() - 10 * SWEEP_GRACE_MS;
    await recordEvents(env.DB, [{ id, name: "test/none", data: {}, ts: longAgo }], longAgo);
    // Each sweep happens a grace period after the last, as the alarm would run them.
    let claims = 0;
    for (let sweep = 0; sweep < MAX_SWEEPS + 3; sweep++) {
      const at = longAgo + (sweep + 2) * SWEEP_GRACE_MS * 2;
      if ((await claimUnrouted(env.DB, at - SWEEP_GRACE_MS, at, 5_000)).includes(id)) claims++;
    }
    expect(claims).toBe(MAX_SWEEPS);
    await markRouteFailed(env.DB, [id], "Error: D1 was unavailable");
    const [stuck] = await getEvents(env.DB, [id]);
    expect(stuck).toMatchObject({ routingAbandoned: true, routeError: "Error: D1 was unavailable" });
    expect((await SELF.fetch(`http://stepwise/v1/events/${id}`).then((r) => r.json())) as unknown).toMatchObject({
      event: { routingAbandoned: true },
    });
    const page = await (await SELF.fetch(`http://stepwise/dashboard/events/${id}`)).text();
    expect(page).toContain(`Routing was given up after ${MAX_SWEEPS} tries: Error: D1 was unavailable`);

    const reroute = await SELF.fetch(`http://stepwise/v1/events/${id}/reroute`, { method: "POST" });
    expect(reroute.status).toBe(202);
    await expect.poll(async () => (await getEvents(env.DB, [id]))[0]?.routedAt).toBeTypeOf("number");
    expect((await SELF.fetch(`http://stepwise/v1/events/${id}/reroute`, { method: "POST" })).status).toBe(409);
    expect((await SELF.fetch(`http://stepwise/v1/events/no-such-event/reroute`, { method: "POST" })).status).toBe(404);
  });

  it("an event row that cannot be read is set aside with the reason, and the events queued with it are routed", async () => {
    const key = crypto.randomUUID();
    const good = `good-${key}`;
    const bad = `bad-${key}`;
    await recordEvents(env.DB, [{ id: good, name: "test/fanout", data: { key }, ts: Date.now() }], Date.now());
    await env.DB.prepare(
      `INSERT INTO events (id, name, data, ts, received_at) VALUES (?1, 'test/fanout', '{not json', 0, ?2)`,
    )
      .bind(bad, Date.now())
      .run();
    await enqueueEvents(env.EVENTS, [bad, good]);
    await expect.poll(async () => (await getEvents(env.DB, [good]))[0]?.routedAt).toBeTypeOf("number");
    await expect
      .poll(async () =>
        env.DB.prepare("SELECT sweeps, route_error FROM events WHERE id = ?1")
          .bind(bad)
          .first<{ sweeps: number; route_error: string | null }>(),
      )
      .toMatchObject({ sweeps: MAX_SWEEPS, route_error: expect.stringContaining("cannot be read") });
    // It does not break the listings, and the API says it is not there as an event.
    expect((await SELF.fetch("http://stepwise/v1/events?limit=200")).status).toBe(200);
    expect((await SELF.fetch("http://stepwise/dashboard/events")).status).toBe(200);
    expect((await SELF.fetch(`http://stepwise/v1/events/${bad}`)).status).toBe(404);
    // At MAX_SWEEPS the sweeper neither re-queues it nor stays armed for it.
    expect(await claimUnrouted(env.DB, Date.now() + 60 * SWEEP_GRACE_MS, Date.now(), 5_000)).not.toContain(bad);
  });
});
