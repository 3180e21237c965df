import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { collected, started } from "./event-functions.ts";
import { indexedRuns } from "./indexed.ts";

const send = async (body: unknown): Promise<string[]> => {
  const response = await SELF.fetch("http://stepwise/v1/events", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return ((await response.json()) as { ids: string[] }).ids;
};
const runsOf = async (functionId: string, eventIds: string[]) =>
  (await indexedRuns({ functionId }))
    .filter((run) => eventIds.includes(run.eventId))
    .map((run) => ({ id: run.id, status: run.status, error: run.error }));
const startsOf = (fn: string, key: string) => started.filter((s) => s.fn === fn && s.key === key);

describe("throttle", () => {
  it("10 per second: 50 events all run, none sooner than the limit allows", { timeout: 30_000 }, async () => {
    const batch = crypto.randomUUID();
    const sentAt = Date.now();
    const ids = await send(
      Array.from({ length: 50 }, (_, i) => ({ name: "test/throttled", data: { batch, key: String(i) } })),
    );
    await expect
      .poll(async () => (await runsOf("throttled", ids)).some((run) => run.status === "queued"), { timeout: 5_000 })
      .toBe(true);
    await expect.poll(() => startsOf("throttled", batch).length, { timeout: 20_000, interval: 100 }).toBe(50);
    const last = Math.max(...startsOf("throttled", batch).map((s) => s.at));
    // 50 runs at 10 a second with no burst: the last cannot start before 4.9 s.
    expect(last - sentAt).toBeGreaterThanOrEqual(4_800);
  });
});

describe("rate limit", () => {
  it("runs over the limit are skipped and recorded as skipped", async () => {
    const batch = crypto.randomUUID();
    const ids = await send(Array.from({ length: 5 }, () => ({ name: "test/rate-limited", data: { batch } })));
    await expect.poll(async () => (await runsOf("rate-limited", ids)).length).toBe(5);
    await expect
      .poll(async () => (await runsOf("rate-limited", ids)).map((r) => r.status).sort())
      .toEqual(["completed", "completed", "completed", "skipped", "skipped"]);
    expect(startsOf("rate-limited", batch)).toHaveLength(3);
    const skipped = (await runsOf("rate-limited", ids)).find((r) => r.status === "skipped");
    expect(skipped?.error).toContain("rate limited");
  });
});

describe("singleton", () => {
  it("skip: a second run for the same key is skipped while the first runs; cancel: the first is cancelled", async () => {
    const user = crypto.randomUUID();
    const [first] = await send({ name: "test/singleton", data: { user } });
    await expect
      .poll(() => startsOf("singleton-skip", user).length + startsOf("singleton-cancel", user).length)
      .toBe(2);
    const [second] = await send({ name: "test/singleton", data: { user } });
    await expect.poll(async () => (await runsOf("singleton-skip", [second!]))[0]?.status).toBe("skipped");
    await expect.poll(async () => (await runsOf("singleton-cancel", [first!]))[0]?.status).toBe("cancelled");
    await expect.poll(() => startsOf("singleton-cancel", user).length).toBe(2);
    expect(startsOf("singleton-skip", user)).toHaveLength(1);
  });
});

describe("singleton, decided in turn", () => {
  it("two runs asking at once after the holder ended: one is admitted, the other finds it running", async () => {
    const invoke = async (): Promise<string> =>
      (
        (await (
          await SELF.fetch("http://stepwise/v1/functions/onboard-user/invoke", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ data: { userId: crypto.randomUUID(), email: "s@example.com" } }),
          })
        ).json()) as { runId: string }
      ).runId;
    // Two real runs that stay open (they sleep for days), and a gate whose holder has ended.
    const [a, b] = await Promise.all([invoke(), invoke()]);
    const gate = env.GATES.get(env.GATES.idFromName(`singleton-race-${crypto.randomUUID()}`));
    expect(await gate.singleton("01JENDEDRUN000000000000000", "skip")).toEqual({ admitted: true });
    const decisions = await Promise.all([gate.singleton(a, "skip"), gate.singleton(b, "skip")]);
    // Which of the two arrives first is the runtime's to decide; exactly one is admitted.
    expect(decisions.map((decision) => decision.admitted).sort()).toEqual([false, true]);
  });
});

describe("an idle gate", () => {
  const stored = (gate: DurableObjectStub) =>
    runInDurableObject(gate, async (_instance, state) => ({
      keys: [...state.storage.kv.list()].map(([key]) => key),
      alarm: await state.storage.getAlarm(),
    }));

  it("forgets a rate once it is back to full, and a singleton once its run has ended", async () => {
    const rate = env.GATES.get(env.GATES.idFromName(`idle-rate-${crypto.randomUUID()}`));
    expect((await rate.rate({ limit: 10, periodMs: 1_000, burst: 0 }, "wait")).admitted).toBe(true);
    const kept = await stored(rate);
    expect(kept.keys).toEqual(["tat"]);
    expect(kept.alarm).toBeGreaterThan(Date.now());
    // Too early: the stored time still counts, and the alarm comes again at it.
    await runDurableObjectAlarm(rate);
    expect((await stored(rate)).keys).toEqual(["tat"]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await runDurableObjectAlarm(rate);
    expect(await stored(rate)).toEqual({ keys: [], alarm: null });

    const singleton = env.GATES.get(env.GATES.idFromName(`idle-singleton-${crypto.randomUUID()}`));
    const live = (
      (await (
        await SELF.fetch("http://stepwise/v1/functions/onboard-user/invoke", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ data: { userId: crypto.randomUUID(), email: "i@example.com" } }),
        })
      ).json()) as { runId: string }
    ).runId;
    expect(await singleton.singleton(live, "skip")).toEqual({ admitted: true });
    // Its run sleeps for days: the holder is kept, and asked about again in an hour.
    await runDurableObjectAlarm(singleton);
    const holding = await stored(singleton);
    expect(holding.keys).toEqual(["holder"]);
    expect(holding.alarm).toBeGreaterThan(Date.now() + 50 * 60_000);
    await SELF.fetch(`http://stepwise/v1/runs/${live}/cancel`, { method: "POST" });
    await runDurableObjectAlarm(singleton);
    expect(await stored(singleton)).toEqual({ keys: [], alarm: null });
    expect(await singleton.singleton("01JNEXTRUN0000000000000000", "skip")).toEqual({ admitted: true });
  });
});

describe("a collector's flushes", () => {
  it("each keep a record of their own: runs whose starts were cut off are all started by the alarm", async () => {
    const key = crypto.randomUUID();
    const collector = env.COLLECTORS.get(env.COLLECTORS.idFromName(`flush-records-${key}`));
    const spec = { kind: "batch", functionId: "batched", maxSize: 10, timeoutMs: 500 };
    // Two series whose starts never finished (the object was evicted mid-start, say).
    await runInDurableObject(collector, async (_instance, state) => {
      for (const n of [1, 2]) {
        const held = {
          spec,
          events: [{ id: `${key}-${n}`, name: "test/batched", data: { key, n }, ts: Date.now() }],
          firstAt: Date.now() + n,
        };
        await state.storage.put(`flushing:01JFLUSH${n}${key.replace(/-/g, "").slice(0, 17).toUpperCase()}`, held);
      }
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    await runDurableObjectAlarm(collector);
    await expect
      .poll(() =>
        collected
          .filter((c) => c.fn === "batched" && c.keys[0]?.startsWith(`${key}:`))
          .map((c) => c.keys[0])
          .sort(),
      )
      .toEqual([`${key}:1`, `${key}:2`]);
    // Nothing held and nothing to retry: the collector keeps no storage at all.
    await runInDurableObject(collector, async (_instance, state) =>
      expect([(await state.storage.list()).size, await state.storage.getAlarm()]).toEqual([0, null]),
    );
  });
});

describe("a collector's order", () => {
  it("keeps the newest event for a debounce and time order for a batch, whatever order they arrive in", async () => {
    const key = crypto.randomUUID();
    const event = (n: number, ts: number) => ({ id: `${key}-${n}`, name: "test/order", data: { n }, ts });
    const held = async (name: string) =>
      runInDurableObject(env.COLLECTORS.get(env.COLLECTORS.idFromName(`${name}-${key}`)), async (_instance, state) =>
        ((await state.storage.get("pending")) as { events: { id: string }[] }).events.map((e) => e.id),
      );
    const debounce = env.COLLECTORS.get(env.COLLECTORS.idFromName(`debounce-order-${key}`));
    const debounceSpec = { kind: "debounce" as const, functionId: "debounced", periodMs: 60_000 };
    await debounce.add(debounceSpec, event(2, 2_000));
    await debounce.add(debounceSpec, event(1, 1_000));
    expect(await held("debounce-order")).toEqual([`${key}-2`]);
    const batch = env.COLLECTORS.get(env.COLLECTORS.idFromName(`batch-order-${key}`));
    const batchSpec = { kind: "batch" as const, functionId: "batched", maxSize: 10, timeoutMs: 60_000 };
    for (const [n, ts] of [
      [3, 3_000],
      [1, 1_000],
      [2, 2_000],
    ] as const)
      await batch.add(batchSpec, event(n, ts));
    expect(await held("batch-order")).toEqual([`${key}-1`, `${key}-2`, `${key}-3`]);
    for (const stub of [debounce, batch])
      await runInDurableObject(stub, async (_instance, state) => state.storage.deleteAll());
  });
});

describe("debounce and batching", () => {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const runsFor = (fn: string, key: string) => collected.filter((c) => c.fn === fn && c.keys[0]?.startsWith(`${key}:`));

  it("debounce: 20 events in quick succession give one run, with the last event", { timeout: 20_000 }, async () => {
    const key = crypto.randomUUID();
    // Sent together, each its own request, well within the debounce's 1 s timeout even on a busy
    // machine (one at a time they took over 1 s there); `ts` says which is the last.
    const ts = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, (_, n) => send({ name: "test/debounced", data: { key, n }, ts: ts + n })),
    );
    await expect.poll(() => runsFor("debounced", key).length, { timeout: 5_000 }).toBe(1);
    await pause(500);
    expect(runsFor("debounced", key)).toEqual([{ fn: "debounced", keys: [`${key}:19`] }]);
  });

  it("debounce: the timeout forces a run while events keep coming", { timeout: 20_000 }, async () => {
    const key = crypto.randomUUID();
    for (let n = 0; n < 16; n++) {
      await send({ name: "test/debounced", data: { key, n } });
      await pause(100);
    }
    expect(runsFor("debounced", key).length).toBeGreaterThanOrEqual(1);
    await expect.poll(() => runsFor("debounced", key).at(-1)?.keys, { timeout: 5_000 }).toEqual([`${key}:15`]);
  });

  it(
    "batching: 25 events with maxSize 10 give runs of 10, 10 and 5 (the last by timeout)",
    { timeout: 20_000 },
    async () => {
      const key = crypto.randomUUID();
      await send(Array.from({ length: 25 }, (_, n) => ({ name: "test/batched", data: { key, n } })));
      await expect.poll(() => runsFor("batched", key).length, { timeout: 5_000 }).toBe(3);
      const sizes = runsFor("batched", key).map((run) => run.keys.length);
      expect(sizes).toEqual([10, 10, 5]);
      expect(new Set(runsFor("batched", key).flatMap((run) => run.keys)).size).toBe(25);
    },
  );
});
