/**
 * Concurrency slots on a limiter's real SQLite: limits, fairness across keys, priority, leases,
 * repeated asks, and a limiter with 100,000 steps waiting.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KEY_MEMORY_MS, SlotTable } from "../durable-objects/flow/slot-table.ts";

const LEASE = 60_000;

/** A fresh table in a limiter object of its own. */
async function withTable<T>(limit: number, body: (slots: SlotTable) => T): Promise<T> {
  const stub = env.LIMITS.get(env.LIMITS.idFromName(`slot-table-${crypto.randomUUID()}`));
  return runInDurableObject(stub, async (_instance, state) => {
    const slots = new SlotTable(state.storage.sql);
    slots.limit = limit;
    return body(slots);
  });
}

describe("concurrency slots in SQLite", () => {
  it("grants up to the limit, queues the rest, and hands a released slot to the next", async () => {
    await withTable(2, (slots) => {
      expect([1, 2, 3].map((n) => slots.acquire({ runId: `r${n}`, stepId: "s", key: "" }, 0, LEASE))).toEqual([
        true,
        true,
        false,
      ]);
      expect(slots.release({ runId: "r1", stepId: "s" }, 1, LEASE).map((w) => w.runId)).toEqual(["r3"]);
      expect(slots.acquire({ runId: "r3", stepId: "s", key: "" }, 2, LEASE)).toBe(true);
      expect([slots.holding(), slots.waiting()]).toEqual([2, 0]);
    });
  });

  it("serves keys round robin: a tenant with 100 waiting does not starve one with 1", async () => {
    await withTable(1, (slots) => {
      for (let i = 0; i < 100; i++) slots.acquire({ runId: `busy-${i}`, stepId: "s", key: "busy" }, i, LEASE);
      slots.acquire({ runId: "quiet-0", stepId: "s", key: "quiet" }, 200, LEASE);
      expect(slots.release({ runId: "busy-0", stepId: "s" }, 201, LEASE).map((w) => w.runId)).toEqual(["quiet-0"]);
      expect(slots.release({ runId: "quiet-0", stepId: "s" }, 202, LEASE).map((w) => w.runId)).toEqual(["busy-1"]);
    });
  });

  it("lets a high-priority step overtake waiting low-priority ones", async () => {
    await withTable(1, (slots) => {
      slots.acquire({ runId: "running", stepId: "s", key: "" }, 0, LEASE);
      for (let i = 0; i < 5; i++) slots.acquire({ runId: `low-${i}`, stepId: "s", key: "" }, i, LEASE);
      slots.acquire({ runId: "pro", stepId: "s", key: "", priorityMs: 120_000 }, 10, LEASE);
      expect(slots.release({ runId: "running", stepId: "s" }, 11, LEASE).map((w) => w.runId)).toEqual(["pro"]);
    });
  });

  it("takes back a slot whose lease expired (its run crashed holding it)", async () => {
    await withTable(1, (slots) => {
      slots.acquire({ runId: "crashed", stepId: "s", key: "" }, 0, LEASE);
      expect(slots.acquire({ runId: "next", stepId: "s", key: "" }, 1, LEASE)).toBe(false);
      expect(slots.nextExpiry()).toBe(LEASE);
      expect(slots.expire(LEASE).map((h) => h.runId)).toEqual(["crashed"]);
      expect(slots.grant(LEASE, LEASE).map((w) => w.runId)).toEqual(["next"]);
    });
  });

  it("asking twice neither queues twice nor takes two slots; an ended run lets go of everything", async () => {
    await withTable(1, (slots) => {
      for (const [runId, at] of [
        ["a", 0],
        ["a", 1],
        ["b", 2],
        ["b", 3],
      ] as const)
        slots.acquire({ runId, stepId: "s", key: "k" }, at, LEASE);
      expect([slots.holding(), slots.waiting()]).toEqual([1, 1]);
      slots.acquire({ runId: "b", stepId: "t", key: "k" }, 4, LEASE);
      expect(slots.releaseRun("b", 5, LEASE)).toEqual([]);
      expect([slots.holding(), slots.waiting()]).toEqual([1, 0]);
    });
  });

  it("owes a call to each run granted while waiting until it answers, retrying with backoff, and drops it once the run holds nothing", async () => {
    await withTable(1, (slots) => {
      slots.acquire({ runId: "first", stepId: "s", key: "" }, 0, LEASE);
      slots.acquire({ runId: "second", stepId: "s", key: "" }, 1, LEASE);
      slots.owe(
        slots.releaseRun("first", 2, LEASE).map((w) => w.runId),
        2,
      );
      expect(slots.dueCalls(2, 10)).toEqual(["second"]);
      // A call under way is not made again by an overlapping pass.
      expect(slots.dueCalls(3, 10)).toEqual([]);
      slots.callFailed("second", 3);
      expect(slots.nextWake()).toBe(3 + 5_000);
      expect(slots.dueCalls(3 + 4_999, 10)).toEqual([]);
      expect(slots.dueCalls(3 + 5_000, 10)).toEqual(["second"]);
      slots.callFailed("second", 20_000);
      expect(slots.nextWake()).toBe(20_000 + 10_000);
      // The run never answered and its lease ended: nothing is owed to a run that holds nothing.
      expect(slots.expire(2 + LEASE).map((holder) => holder.runId)).toEqual(["second"]);
      expect(slots.dueCalls(LEASE + 40_000, 10)).toEqual([]);
      // What is left to wake for is forgetting the key's last turn.
      expect(slots.nextWake()).toBe(2 + KEY_MEMORY_MS);
    });
  });

  it("holds 100,000 waiting steps and serves them in order, a grant at a time", async () => {
    const lease = 10 ** 9; // no lease ends while 100,000 asks go by, one a millisecond
    await withTable(5, (slots) => {
      for (let i = 0; i < 100_000; i++)
        slots.acquire({ runId: `run-${i}`, stepId: "s", key: `tenant-${i % 100}` }, i, lease);
      expect([slots.holding(), slots.waiting()]).toEqual([5, 99_995]);
      // Each release hands the freed slot to the next tenant in turn.
      const next = [0, 1, 2].map((i) =>
        slots.release({ runId: `run-${i}`, stepId: "s" }, 100_000 + i, lease).map((w) => w.runId),
      );
      expect(next).toEqual([["run-5"], ["run-6"], ["run-7"]]);
      expect([slots.holding(), slots.waiting()]).toEqual([5, 99_992]);
    });
  }, 120_000);
});
