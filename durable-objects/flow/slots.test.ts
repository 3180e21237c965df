import { describe, expect, it } from "vitest";
import { acquire, expire, grant, release, type SlotState } from "./slots.ts";

const fresh = (limit: number): SlotState => ({ limit, holders: [], waiters: [], lastServed: {} });
const LEASE = 60_000;

describe("concurrency slots", () => {
  it("grants up to the limit, queues the rest, and hands a released slot to the next", () => {
    const state = fresh(2);
    expect([1, 2, 3].map((n) => acquire(state, { runId: `r${n}`, stepId: "s", key: "" }, 0, LEASE))).toEqual([true, true, false]);
    expect(release(state, { runId: "r1", stepId: "s" }, 1, LEASE).map((w) => w.runId)).toEqual(["r3"]);
    expect(acquire(state, { runId: "r3", stepId: "s", key: "" }, 2, LEASE)).toBe(true);
    expect(state.holders.map((h) => h.runId).sort()).toEqual(["r2", "r3"]);
  });

  it("serves keys round robin: a tenant with 100 waiting does not starve one with 1", () => {
    const state = fresh(1);
    acquire(state, { runId: "busy-0", stepId: "s", key: "busy" }, 0, LEASE);
    for (let i = 1; i < 100; i++) acquire(state, { runId: `busy-${i}`, stepId: "s", key: "busy" }, i, LEASE);
    acquire(state, { runId: "quiet-0", stepId: "s", key: "quiet" }, 200, LEASE);
    const next = release(state, { runId: "busy-0", stepId: "s" }, 201, LEASE);
    expect(next.map((w) => w.runId)).toEqual(["quiet-0"]);
  });

  it("lets a high-priority step overtake waiting low-priority ones", () => {
    const state = fresh(1);
    acquire(state, { runId: "running", stepId: "s", key: "" }, 0, LEASE);
    for (let i = 0; i < 5; i++) acquire(state, { runId: `low-${i}`, stepId: "s", key: "" }, i, LEASE);
    acquire(state, { runId: "pro", stepId: "s", key: "", priorityMs: 120_000 }, 10, LEASE);
    expect(release(state, { runId: "running", stepId: "s" }, 11, LEASE).map((w) => w.runId)).toEqual(["pro"]);
  });

  it("takes back a slot whose lease expired (its run crashed holding it)", () => {
    const state = fresh(1);
    acquire(state, { runId: "crashed", stepId: "s", key: "" }, 0, LEASE);
    expect(acquire(state, { runId: "next", stepId: "s", key: "" }, 1, LEASE)).toBe(false);
    expect(expire(state, LEASE).map((h) => h.runId)).toEqual(["crashed"]);
    expect(grant(state, LEASE, LEASE).map((w) => w.runId)).toEqual(["next"]);
  });

  it("asking twice neither queues twice nor takes two slots", () => {
    const state = fresh(1);
    acquire(state, { runId: "a", stepId: "s", key: "" }, 0, LEASE);
    acquire(state, { runId: "a", stepId: "s", key: "" }, 1, LEASE);
    acquire(state, { runId: "b", stepId: "s", key: "" }, 2, LEASE);
    acquire(state, { runId: "b", stepId: "s", key: "" }, 3, LEASE);
    expect([state.holders.length, state.waiters.length]).toEqual([1, 1]);
  });
});
