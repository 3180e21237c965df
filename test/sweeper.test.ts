import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sweeper, SWEEP_GRACE_MS } from "../durable-objects/sweeper/event-sweeper.ts";
import { getEvents, recordEvents } from "../src/db/events.ts";
import { executions } from "./functions.ts";

describe("EventSweeper", () => {
  it("routes events that were accepted but never reached the queue, once", async () => {
    const key = crypto.randomUUID();
    const id = `lost-${key}`;
    // Accepted (recorded) long enough ago, but the queue never had it: a restart between accept and route.
    await recordEvents(env.DB, [{ id, name: "test/fanout", data: { key }, ts: Date.now() }], Date.now() - SWEEP_GRACE_MS - 1_000);
    const stub = sweeper(env);
    await stub.arm();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await expect.poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`))).toEqual([1, 1, 1]);
    await expect.poll(async () => (await getEvents(env.DB, [id]))[0]?.routedAt).toBeTypeOf("number");
    // Swept again (a second alarm): the event is routed, so nothing is queued and nothing re-runs.
    expect(await stub.sweep()).toBe(0);
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
