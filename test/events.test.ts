import { createExecutionContext, env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../src/api/app.ts";
import { listEvents } from "../src/core/events/store.ts";
import { shardNumberOf, storedEvent } from "./event-shards.ts";
import { routeEvents } from "../src/core/events/route.ts";
import { executions } from "./functions.ts";
import { indexedRuns } from "./indexed.ts";

const send = (body: unknown, init: RequestInit = {}) =>
  SELF.fetch("http://stepwise/v1/events", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;
const runsOf = async (eventId: string) =>
  (await indexedRuns({ eventId }))
    .map((run) => ({ function_id: run.functionId, status: run.status }))
    .sort((a, b) => (a.function_id < b.function_id ? -1 : a.function_id > b.function_id ? 1 : 0));
const uniqueKey = (): string => crypto.randomUUID();

describe("POST /v1/events", () => {
  it("fans one event out to every function listening, once each", async () => {
    const key = uniqueKey();
    const response = await send({ name: "test/fanout", data: { key } });
    expect(response.status).toBe(202);
    const { ids } = await json<{ ids: string[] }>(response);
    expect(ids).toHaveLength(1);
    await expect.poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`))).toEqual([1, 1, 1]);
    await expect
      .poll(() => runsOf(ids[0]!))
      .toEqual([
        { function_id: "fan-a", status: "completed" },
        { function_id: "fan-b", status: "completed" },
        { function_id: "fan-c", status: "completed" },
      ]);
    const detail = await json<{ event: { name: string; routedAt: string | null }; runs: { functionId: string }[] }>(
      await SELF.fetch(`http://stepwise/v1/events/${ids[0]}`),
    );
    expect(detail.event.name).toBe("test/fanout");
    expect(detail.event.routedAt).not.toBeNull();
    expect(detail.runs.map((run) => run.functionId).sort()).toEqual(["fan-a", "fan-b", "fan-c"]);
  });

  it("matches wildcard triggers by prefix and honours `if`", async () => {
    const key = uniqueKey();
    await send([
      { name: "test/wild/one", data: { key } },
      { name: "test/wild/two/deeper", data: { key } },
      { name: "test/wildcard", data: { key } },
      { name: "test/plan", data: { key, plan: "pro" } },
      { name: "test/plan", data: { key, plan: "free" } },
      { name: "test/plan", data: { key } },
    ]);
    await expect.poll(() => executions(`wild:${key}`)).toBe(2);
    await expect.poll(() => executions(`pro-only:${key}`)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([executions(`wild:${key}`), executions(`pro-only:${key}`)]).toEqual([2, 1]);
  });

  it("starts nothing again for a repeated event id, or for a queue redelivery", async () => {
    const key = uniqueKey();
    const id = `order-${key}`;
    const first = await json<{ ids: string[] }>(await send({ id, name: "test/fanout", data: { key } }));
    const second = await json<{ ids: string[] }>(
      await send([
        { id, name: "test/fanout", data: { key } },
        { id, name: "test/fanout", data: { key } },
      ]),
    );
    expect(first.ids).toEqual([id]);
    expect(second.ids).toEqual([id, id]);
    await expect.poll(() => executions(`fan-a:${key}`)).toBe(1);
    // A redelivered queue message routes the same event again: same run ids, nothing new starts.
    await routeEvents(env, shardNumberOf(id), [(await storedEvent(id))!]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`))).toEqual([1, 1, 1]);
    await expect.poll(async () => (await runsOf(id)).length).toBe(3);
  });

  it("starts one run per idempotency key, also under redelivery", async () => {
    const key = uniqueKey();
    const { ids } = await json<{ ids: string[] }>(
      await send([
        { name: "test/idem", data: { key, userId: `u-${key}` } },
        { name: "test/idem", data: { key, userId: `u-${key}` } },
      ]),
    );
    await send({ name: "test/idem", data: { key, userId: `u-${key}` } });
    await expect.poll(() => executions(`idem:${key}`)).toBe(1);
    const stored = await Promise.all(ids.map(async (eventId) => (await storedEvent(eventId))!));
    await routeEvents(env, shardNumberOf(ids[0]!), stored);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(executions(`idem:${key}`)).toBe(1);
    const other = uniqueKey();
    await send({ name: "test/idem", data: { key: other, userId: `u-${other}` } });
    await expect.poll(() => executions(`idem:${other}`)).toBe(1);
  });

  // The full 5,000-event batch runs against `wrangler dev` in test/e2e/events-restart.test.ts.
  it("accepts a batch of 300 events and starts every run once", { timeout: 60_000 }, async () => {
    const batch = uniqueKey();
    const events = Array.from({ length: 300 }, (_, i) => ({ name: "test/bulk", data: { key: `${batch}-${i}` } }));
    const response = await send(events);
    expect(response.status).toBe(202);
    expect((await json<{ ids: string[] }>(response)).ids).toHaveLength(events.length);
    const done = () => events.filter((event) => executions(`bulk:${event.data.key}`) === 1).length;
    await expect.poll(done, { timeout: 55_000, interval: 250 }).toBe(events.length);
    expect(events.every((event) => executions(`bulk:${event.data.key}`) === 1)).toBe(true);
  });
});

describe("POST /v1/events refuses bad input whole", () => {
  const countEvents = async (name: string) => (await listEvents(env, { name, limit: 200 })).items.length;

  it("malformed JSON: 400", async () => {
    const response = await send("[{");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_json" } });
  });

  it("a missing name: 400 with the issue's path, and nothing from the batch recorded", async () => {
    const response = await send([{ name: "test/refused-1", data: {} }, { data: {} }]);
    expect(response.status).toBe(400);
    const body = await json<{ error: { code: string; issues: { path: unknown[] }[] } }>(response);
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.issues[0]?.path).toEqual([1, "name"]);
    expect(await countEvents("test/refused-1")).toBe(0);
  });

  it("data that is not an object, or a name over 256 characters: 400", async () => {
    expect((await send({ name: "x", data: [1] })).status).toBe(400);
    expect((await send({ name: "x".repeat(257) })).status).toBe(400);
  });

  it("an event over 512 KiB: 413 naming it, and nothing from the batch recorded", async () => {
    // With the R2 bucket, data past the limit is kept there; the rest of an event must still fit.
    const response = await send([
      { name: "test/refused-2" },
      { name: "test/big", data: { blob: "x" }, user: { blob: "x".repeat(513 * 1024) } },
    ]);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      error: { code: "event_too_large", message: expect.stringContaining('Event 1 ("test/big") without its data') },
    });
    expect(await countEvents("test/refused-2")).toBe(0);
    // Without the bucket, the limit holds for the whole event.
    const unbucketed = await app.request(
      "/v1/events",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          { name: "test/refused-2" },
          { name: "test/big", data: { blob: "x".repeat(513 * 1024) } },
        ]),
      },
      { ...env, PAYLOADS: undefined },
      createExecutionContext(),
    );
    expect(unbucketed.status).toBe(413);
    expect(await unbucketed.json()).toMatchObject({
      error: { code: "event_too_large", message: expect.stringContaining('Event 1 ("test/big") is 513') },
    });
    expect(await countEvents("test/refused-2")).toBe(0);
  });

  it("more than 5,000 events: 400, nothing recorded", async () => {
    const response = await send(Array.from({ length: 5_001 }, () => ({ name: "test/refused-3" })));
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("at most 5000 events");
    expect(await countEvents("test/refused-3")).toBe(0);
  });
});

describe("POST /v1/events on a misconfigured deployment", () => {
  const post = (name: string, bindings: Record<string, unknown>) =>
    app.request(
      "/v1/events",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) },
      { ...env, ...bindings },
      createExecutionContext(),
    );

  it("answers 503 naming the setting, and records nothing: a shard count out of range, an events queue numbered with a gap", async () => {
    for (const [bindings, message] of [
      [{ STEPWISE_EVENT_SHARDS: "0" }, 'STEPWISE_EVENT_SHARDS must be a whole number from 1 to 256, not "0"'],
      [{ EVENTS_3: env.EVENTS }, "EVENTS_3 is bound but EVENTS_2 is not"],
    ] as const) {
      const name = `test/misconfigured-${crypto.randomUUID()}`;
      const response = await post(name, bindings);
      expect(response.status).toBe(503);
      const body = await json<{ error: { code: string; message: string } }>(response);
      expect(body.error.code).toBe("misconfigured");
      expect(body.error.message).toContain(message);
      expect((await listEvents(env, { name, limit: 10 })).items).toEqual([]);
    }
  });
});

describe("cancel", () => {
  it("stops a sleeping run now and says so in its history", async () => {
    const invoked = await SELF.fetch("http://stepwise/v1/functions/onboard-user/invoke", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { userId: `cancel-${uniqueKey()}`, email: "c@example.com" } }),
    });
    const { runId } = await json<{ runId: string }>(invoked);
    const { client } = await import("./helpers.ts");
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    const cancelled = await SELF.fetch(`http://stepwise/v1/runs/${runId}/cancel`, { method: "POST" });
    expect(await cancelled.json()).toEqual({ cancelled: true, status: "cancelled" });
    expect((await client.getRun(runId)).status).toBe("cancelled");
    const again = await SELF.fetch(`http://stepwise/v1/runs/${runId}/cancel`, { method: "POST" });
    expect(await again.json()).toEqual({ cancelled: false, status: "cancelled" });
    const history = await json<{ history: { type: string; reason?: string }[] }>(
      await SELF.fetch(`http://stepwise/v1/runs/${runId}/history`),
    );
    expect(history.history.at(-1)).toMatchObject({ type: "run.cancelled", reason: "cancelled through the API" });
    const stub = env.RUN.get(env.RUN.idFromName(runId));
    const { runInDurableObject } = await import("cloudflare:test");
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
  });
});
