import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { maxOverlap } from "./overlap.ts";
import { spans } from "./event-functions.ts";
import { executions } from "./functions.ts";
import { client, runFor } from "./helpers.ts";

const send = async (body: unknown): Promise<string[]> => {
  const response = await SELF.fetch("http://stepwise/v1/events", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return ((await response.json()) as { ids: string[] }).ids;
};

describe("concurrency", () => {
  it(
    "50 events with concurrency 5: never more than 5 steps execute at once, all 50 complete",
    { timeout: 60_000 },
    async () => {
      const batch = crypto.randomUUID();
      await send(Array.from({ length: 50 }, (_, i) => ({ name: "test/limited", data: { key: `${batch}-${i}` } })));
      const mine = () => spans.filter((span) => span.fn === "limited" && span.key.startsWith(batch));
      await expect.poll(() => mine().length, { timeout: 55_000, interval: 100 }).toBe(100);
      const overlap = maxOverlap(mine());
      expect(overlap).toBeLessThanOrEqual(5);
      expect(overlap).toBeGreaterThan(1);
    },
  );

  it("per-key: one tenant's 100 events do not delay the other tenant's one", { timeout: 60_000 }, async () => {
    const batch = crypto.randomUUID();
    await send(
      Array.from({ length: 100 }, (_, i) => ({
        name: "test/tenant",
        data: { tenant: `busy-${batch}`, key: String(i) },
      })),
    );
    const ended = (prefix: string) =>
      spans.filter((span) => span.fn === "per-tenant" && span.key.startsWith(prefix)).map((span) => span.end);
    // The busy tenant is under way (its batch goes through the queue; a single event is routed at
    // once, so sent together the quiet one could finish before the busy ones even began).
    await expect.poll(() => ended(`busy-${batch}`).length, { timeout: 10_000 }).toBeGreaterThan(0);
    await send({ name: "test/tenant", data: { tenant: `quiet-${batch}`, key: "0" } });
    await expect.poll(() => ended(`quiet-${batch}`).length, { timeout: 10_000 }).toBe(1);
    // The quiet tenant's run finished while the busy tenant still had most of its runs to go.
    expect(ended(`busy-${batch}`).length).toBeLessThan(50);
    await expect.poll(() => ended(`busy-${batch}`).length, { timeout: 55_000, interval: 200 }).toBe(100);
    expect(maxOverlap(spans.filter((span) => span.key.startsWith(`busy-${batch}`)))).toBe(1);
  });
});

describe("priority", () => {
  it("a high-priority run overtakes queued low-priority ones", { timeout: 30_000 }, async () => {
    const batch = crypto.randomUUID();
    const ids = await send(
      Array.from({ length: 4 }, (_, i) => ({ name: "test/prioritized", data: { batch, key: `low-${i}` } })),
    );
    const queued = async () =>
      (
        await Promise.all(
          ids.map(async (id) => {
            const detail = (await (await SELF.fetch(`http://stepwise/v1/events/${id}`)).json()) as {
              runs: { status: string }[];
            };
            return detail.runs[0]?.status;
          }),
        )
      ).filter((status) => status === "queued").length;
    await expect.poll(queued, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await send({ name: "test/prioritized", data: { batch, key: "pro", pro: true } });
    const order = () =>
      spans
        .filter((span) => span.fn === "prioritized" && span.key.startsWith(batch))
        .sort((a, b) => a.start - b.start)
        .map((span) => span.key.split(":")[1]);
    await expect.poll(() => order().length, { timeout: 20_000, interval: 100 }).toBe(5);
    // The pro run went ahead of every low run still queued when it arrived.
    expect(order().indexOf("pro")).toBeLessThanOrEqual(2);
    expect(order().slice(-1)).not.toEqual(["pro"]);
  });
});

describe("leases", () => {
  it(
    "a run that crashed holding a slot does not hold it forever: the lease expires and the next run goes",
    { timeout: 20_000 },
    async () => {
      const limiter = env.LIMITS.get(env.LIMITS.idFromName(JSON.stringify(["solo", 0, ""])));
      // A run takes the only slot and then dies: it never gives the slot back.
      expect(await limiter.acquire({ runId: "crashed-run", stepIds: ["work"], key: "", limit: 1 })).toEqual(["work"]);
      const key = crypto.randomUUID();
      const [eventId] = await send({ name: "test/solo", data: { key } });
      const runId = await runFor(eventId!, "solo");
      await client.waitUntil(runId, (run) => run.status === "queued" && run.queuedReason !== undefined);
      expect(executions(`solo:${key}`)).toBe(0);
      // Time passes to the lease's end (moved here rather than waited for), and the limiter's alarm runs.
      await runInDurableObject(limiter, async (_instance, state) => {
        state.storage.sql.exec("UPDATE holders SET expires_at = ?", Date.now() - 1);
      });
      await runDurableObjectAlarm(limiter);
      expect((await client.waitForEnd(runId)).status).toBe("completed");
      expect(executions(`solo:${key}`)).toBe(1);
    },
  );
});

describe("an idle limiter", () => {
  it("deletes its storage once nothing is held, waited for or remembered, and works again when next asked", async () => {
    const limiter = env.LIMITS.get(env.LIMITS.idFromName(`idle-${crypto.randomUUID()}`));
    const ask = { runId: "idle-run", stepIds: ["~lane-0"], key: "", limit: 1 };
    expect(await limiter.acquire(ask)).toEqual(["~lane-0"]);
    await limiter.releaseRun("idle-run");
    const tables = () =>
      runInDurableObject(limiter, async (_instance, state) =>
        state.storage.sql
          .exec<{ name: string }>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name",
          )
          .toArray()
          .map((row) => row.name),
      );
    // The key's turn is remembered for a while (fairness), so the limiter is not idle yet.
    expect(await tables()).toContain("slot_keys");
    expect(await runDurableObjectAlarm(limiter)).toBe(true);
    expect(await tables()).toContain("slot_keys");
    // Time passes beyond the key's memory (moved here rather than waited for), and the alarm comes.
    await runInDurableObject(
      limiter,
      async (_instance, state) => void state.storage.sql.exec("UPDATE slot_keys SET last_served = 0"),
    );
    expect(await runDurableObjectAlarm(limiter)).toBe(true);
    expect(await tables()).toEqual([]);
    expect(await runInDurableObject(limiter, async (_instance, state) => state.storage.getAlarm())).toBeNull();
    expect(await limiter.acquire(ask)).toEqual(["~lane-0"]);
    expect(await limiter.describe()).toEqual({ limit: 1, holding: 1, waiting: 0 });
  });
});

describe("a run's own parallel steps under its limit", () => {
  it(
    "are not driven once per granted step: call-backs during a drive share one drive after it",
    { timeout: 60_000 },
    async () => {
      const runId = `coalesce-${crypto.randomUUID()}`;
      const itemIds = Array.from({ length: 400 }, (_, i) => `item-${i}`);
      const stub = env.RUN.get(env.RUN.idFromName(runId));
      // Counts the drives of this one object (process-items allows 100 steps at once; each step that
      // ends hands its slot to the run's next waiting step, and the limiter calls the run back).
      const drives = await runInDurableObject(stub, (instance) => {
        const counter = { n: 0 };
        const target = instance as unknown as { driveRun: (...args: unknown[]) => Promise<void> };
        const original = target.driveRun.bind(instance);
        target.driveRun = (...args) => {
          counter.n++;
          return original(...args);
        };
        return counter;
      });
      await stub.start({
        runId,
        functionId: "process-items",
        events: [{ id: `e-${runId}`, name: "items/batch-ready", data: { batchId: runId, itemIds }, ts: Date.now() }],
      });
      await expect
        .poll(async () => (await stub.getStatus())?.status, { timeout: 55_000, interval: 100 })
        .toBe("completed");
      expect((await stub.getStatus())?.output).toEqual({ processed: 400 });
      // Two here; one drive per step given a slot before (hundreds), 24 with one call-back per run
      // per grant but no shared drive.
      const count = await runInDurableObject(stub, () => drives.n);
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(5);
    },
  );
});
