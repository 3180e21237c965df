/**
 * `nextSleepWake`: what a test's sleeps-only wake may fire. Firing a sleep must never fire a
 * wait's timeout along with it, or an approval path could not be tested.
 */
import { describe, expect, it } from "vitest";
import type { HistoryEntry, HistoryEvent } from "./history.ts";
import { apply, foldHistory, type RunState } from "./state.ts";
import { nextSleepWake, nextWake } from "./timers.ts";

const NOW = 10_000;

function runWith(events: HistoryEvent[]): RunState {
  const created: HistoryEntry = {
    type: "run.created",
    runId: "r",
    functionId: "f",
    events: [{ id: "e", name: "x", data: {}, ts: 0 }],
    seq: 1,
    at: 0,
  };
  const state = foldHistory([created]);
  if (!state) throw new Error("no state");
  for (const event of [{ type: "run.started" } as const, ...events])
    apply(state, { ...event, seq: state.lastSeq + 1, at: NOW });
  return state;
}

const sleeping = (id: string, until: number): HistoryEvent => ({ type: "step.sleeping", stepId: id, name: id, until });
const waiting = (id: string, until: number): HistoryEvent => ({
  type: "step.waiting",
  stepId: id,
  name: id,
  wait: { event: "app/approved", until },
});
const error = { name: "Error", message: "boom" };

describe("nextSleepWake", () => {
  it("is the sleep's end when the run only sleeps", () => {
    expect(nextSleepWake(runWith([sleeping("nap", 50_000)]), NOW)).toBe(50_000);
  });

  it("is a step's or the function's retry backoff", () => {
    const step = runWith([
      { type: "step.retrying", stepId: "a", name: "a", attempt: 0, startedAt: NOW, error, retryAt: 30_000 },
    ]);
    expect(nextSleepWake(step, NOW)).toBe(30_000);
    const fn = runWith([{ type: "run.retrying", attempt: 1, error, retryAt: 40_000 }]);
    expect(nextSleepWake(fn, NOW)).toBe(40_000);
    expect(nextSleepWake(fn, 45_000)).toBeUndefined();
  });

  it("is undefined when the run waits for an event, though nextWake is the wait's timeout", () => {
    const state = runWith([waiting("approval", 60_000)]);
    expect(nextWake(state, NOW)).toBe(NOW); // not registered yet: due at once
    expect(nextSleepWake(state, NOW)).toBeUndefined();
  });

  it("is a sleep ending before a wait's timeout, and undefined when the timeout comes first or at once", () => {
    expect(nextSleepWake(runWith([sleeping("nap", 20_000), waiting("approval", 60_000)]), NOW)).toBe(20_000);
    expect(nextSleepWake(runWith([sleeping("nap", 60_000), waiting("approval", 20_000)]), NOW)).toBeUndefined();
    expect(nextSleepWake(runWith([sleeping("nap", 60_000), waiting("approval", 60_000)]), NOW)).toBeUndefined();
  });

  it("leaves timeouts.finish alone", () => {
    const state = runWith([sleeping("nap", 60_000)]);
    state.finishBy = 30_000;
    expect(nextSleepWake(state, NOW)).toBeUndefined();
  });

  it("is undefined once the run has ended", () => {
    expect(
      nextSleepWake(runWith([sleeping("nap", 20_000), { type: "run.cancelled", reason: "test" }]), NOW),
    ).toBeUndefined();
  });
});
