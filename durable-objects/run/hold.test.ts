import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "./history.ts";
import { decideStart } from "./engine.ts";
import { holdDecision, holdEvents, holdRecheckAt, pauseWatch } from "./hold.ts";
import { foldHistory, runStatus, type RunState } from "./state.ts";

const created = (eventName = "stepwise/function.invoked"): HistoryEntry => ({
  type: "run.created",
  runId: "r",
  functionId: "f",
  events: [{ id: "e", name: eventName, data: {}, ts: 0 }],
  seq: 1,
  at: 1_000,
});
const started: HistoryEntry = { type: "run.started", seq: 2, at: 1_000 };
const fold = (...entries: HistoryEntry[]): RunState => foldHistory(entries) as RunState;
const paused = { mode: "paused" as const, since: 0, reason: "deploy" };
const draining = { mode: "draining" as const, since: 0 };

describe("holding a run of a paused function", () => {
  it("does not count the time held against timeouts.start", () => {
    const held: HistoryEntry = { type: "run.held", mode: "paused", reason: "paused", seq: 2, at: 2_000 };
    const released: HistoryEntry = { type: "run.released", seq: 3, at: 602_000 };
    const state = fold(created(), held, released);
    expect(state.heldMs).toBe(600_000);
    const config = { retries: 0, backoff: { initialMs: 1, coefficient: 2, maxMs: 1 }, maxSteps: 10, maxOutputBytes: 1 };
    // Ten minutes paused, then a minute more: within a five-minute start timeout.
    expect(decideStart(state, { ...config, startTimeoutMs: 300_000 }, 662_000)).toMatchObject([
      { type: "run.started" },
    ]);
    expect(decideStart(state, { ...config, startTimeoutMs: 300_000 }, 902_000)).toMatchObject([
      { type: "run.cancelled" },
    ]);
  });

  it("holds any run while paused, only a new one while draining, and skips a cron tick's new run", () => {
    expect(holdDecision(fold(created()), paused)).toBe("hold");
    expect(holdDecision(fold(created(), started), paused)).toBe("hold");
    expect(holdDecision(fold(created()), draining)).toBe("hold");
    expect(holdDecision(fold(created(), started), draining)).toBe("go");
    expect(holdDecision(fold(created("stepwise/cron.tick")), draining)).toBe("skip");
    expect(holdDecision(fold(created("stepwise/cron.tick"), started), paused)).toBe("hold");
    expect(holdDecision(fold(created()), undefined)).toBe("go");
  });

  it("records the hold once (again only when the reason changes), and the release once", () => {
    const state = fold(created());
    const [held] = holdEvents(state, paused, "hold");
    expect(held).toEqual({ type: "run.held", mode: "paused", reason: "its function is paused (deploy)" });
    const holding = fold(created(), { ...held!, seq: 2, at: 2_000 } as HistoryEntry);
    expect(runStatus(holding)).toBe("paused");
    expect(holding.heldAt).toBe(2_000);
    expect(holdEvents(holding, paused, "hold")).toEqual([]);
    expect(holdEvents(holding, draining, "hold")).toEqual([
      { type: "run.held", mode: "draining", reason: "its function is draining: new runs wait" },
    ]);
    expect(holdEvents(holding, undefined, "go")).toEqual([{ type: "run.released" }]);
    const released = fold(created(), { ...held!, seq: 2, at: 2_000 } as HistoryEntry, {
      type: "run.released",
      seq: 3,
      at: 3_000,
    });
    expect(runStatus(released)).toBe("queued");
    expect(holdEvents(released, undefined, "go")).toEqual([]);
    expect(holdEvents(fold(created("stepwise/cron.tick")), paused, "skip")[0]).toMatchObject({ type: "run.skipped" });
  });

  it("checks again as long after as it has held, from 30 s to 10 minutes", () => {
    expect(holdRecheckAt(100_000, 100_000)).toBe(130_000);
    expect(holdRecheckAt(100_000, 40_000)).toBe(160_000);
    expect(holdRecheckAt(10_000_000, 0)).toBe(10_600_000);
  });

  it("answers at once from the last answer, asking again at most once a second", async () => {
    let now = 0;
    let asked = 0;
    let control: typeof paused | undefined;
    const isPaused = pauseWatch(
      async () => (asked++, control),
      () => now,
    );
    control = paused;
    expect(isPaused()).toBe(false);
    expect(asked).toBe(0);
    now = 1_000;
    expect(isPaused()).toBe(false);
    expect(isPaused()).toBe(false);
    await Promise.resolve();
    await Promise.resolve();
    expect(asked).toBe(1);
    expect(isPaused()).toBe(true);
  });
});
