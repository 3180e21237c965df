import { describe, expect, it } from "vitest";
import type { ExecutionResponse } from "../../sdk/protocol.ts";
import { decide, decideStart, type EngineConfig } from "./engine.ts";
import { engineConfig } from "./engine-config.ts";
import type { HistoryEntry, HistoryEvent } from "./history.ts";
import { apply, foldHistory, runStatus, type RunState } from "./state.ts";
import { dueSteps, nextWake, wakeEvents } from "./timers.ts";

const config: EngineConfig = {
  retries: 2,
  backoff: { initialMs: 1_000, coefficient: 2, maxMs: 60_000 },
  maxSteps: 3,
  maxOutputBytes: 100,
};
const ctx = { now: 10_000, random: () => 1 };
const timing = { startedAt: 9_000, endedAt: 9_500 };

function newRun(): RunState {
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
  return state;
}

function record(state: RunState, events: HistoryEvent[]): RunState {
  for (const event of events) apply(state, { ...event, seq: state.lastSeq + 1, at: ctx.now });
  return state;
}

const ran = (id: string, output: unknown): ExecutionResponse => ({
  type: "steps",
  steps: [{ type: "ran", id, name: id, output, timing }],
});
const errored = (id: string, retriable = true): ExecutionResponse => ({
  type: "steps",
  steps: [{ type: "errored", id, name: id, error: { name: "Error", message: "boom" }, retriable, timing }],
});

describe("decide", () => {
  it("records a step's result once; a duplicate report changes nothing", () => {
    const state = record(newRun(), decide(newRun(), ran("a", 1), config, ctx));
    expect(state.memo).toEqual({ a: { status: "completed", op: "run", output: 1 } });
    expect(decide(state, ran("a", 2), config, ctx)).toEqual([]);
  });

  it("retries with backoff until the retries are spent, then fails the step", () => {
    const state = newRun();
    const first = decide(state, errored("a"), config, ctx);
    expect(first).toMatchObject([{ type: "step.retrying", attempt: 0, retryAt: 11_000 }]);
    record(state, first);
    const second = decide(state, errored("a"), config, ctx);
    expect(second).toMatchObject([{ type: "step.retrying", attempt: 1, retryAt: 12_000 }]);
    record(state, second);
    expect(decide(state, errored("a"), config, ctx)).toMatchObject([{ type: "step.failed", attempt: 2 }]);
  });

  it("fails a step at once on a non-retriable error", () => {
    expect(decide(newRun(), errored("a", false), config, ctx)).toMatchObject([{ type: "step.failed", attempt: 0 }]);
  });

  it("fails a step whose output is over the limit, naming step and limit", () => {
    const [event] = decide(newRun(), ran("big", "x".repeat(200)), config, ctx);
    expect(event).toMatchObject({ type: "step.failed", error: { name: "LimitExceededError" } });
    expect(event && "error" in event ? event.error.message : "").toBe(
      'Step "big" returned 202 B of JSON; the limit is 100 B',
    );
  });

  it("fails the run at the step limit", () => {
    const state = record(newRun(), [
      ...decide(newRun(), ran("a", 1), config, ctx),
      { type: "step.completed", stepId: "b", name: "b", op: "run", attempt: 0, output: 1 },
      { type: "step.completed", stepId: "c", name: "c", op: "run", attempt: 0, output: 1 },
    ]);
    expect(decide(state, ran("d", 1), config, ctx)).toEqual([
      {
        type: "run.failed",
        error: { name: "LimitExceededError", message: 'Run reached the limit of 3 steps at step "d"' },
      },
    ]);
  });

  it("retries the function body on a retriable error, then fails the run", () => {
    const failed: ExecutionResponse = { type: "failed", error: { name: "Error", message: "x" }, retriable: true };
    const state = newRun();
    record(state, decide(state, failed, config, ctx));
    expect(state.attempt).toBe(1);
    record(state, decide(state, failed, config, ctx));
    expect(decide(state, failed, config, ctx)).toMatchObject([{ type: "run.failed" }]);
  });
});

describe("timers", () => {
  it("a sleep sets the next wake; it is woken only once it is due", () => {
    const state = record(newRun(), [
      { type: "run.started" },
      { type: "step.sleeping", stepId: "s", name: "s", until: 50_000 },
    ]);
    expect(runStatus(state)).toBe("sleeping");
    expect(nextWake(state, ctx.now)).toBe(50_000);
    expect(wakeEvents(state, 49_999)).toEqual([]);
    expect(wakeEvents(state, 50_000)).toEqual([{ type: "step.woken", stepId: "s", name: "s", early: false }]);
    expect(wakeEvents(state, 50_000, 20_000)).toMatchObject([{ early: true }]);
  });

  it("a retry is due only after its backoff", () => {
    const state = record(newRun(), decide(newRun(), errored("a"), config, ctx));
    expect(dueSteps(state, 10_999)).toEqual([]);
    expect(dueSteps(state, 11_000).map((step) => step.id)).toEqual(["a"]);
    expect(nextWake(state, ctx.now)).toBe(11_000);
  });

  it("a finished run waits on nothing", () => {
    const state = record(newRun(), [{ type: "run.completed", output: 1 }]);
    expect(runStatus(state)).toBe("completed");
    expect(nextWake(state, 0)).toBeUndefined();
  });
});

describe("decideStart", () => {
  it("cancels a run that waited longer than timeouts.start", () => {
    expect(decideStart(newRun(), { ...config, startTimeoutMs: 5_000 }, 6_000)).toEqual([
      { type: "run.cancelled", reason: "not started within its timeouts.start (5000 ms)" },
    ]);
  });

  it("starts with the finish deadline and the cancelling events in the history", () => {
    const cancelOn = [{ event: "user/deleted", if: "event.data.id == async.data.id", timeoutMs: 1_000 }];
    const [started] = decideStart(
      newRun(),
      { ...config, startTimeoutMs: 5_000, finishTimeoutMs: 60_000, cancelOn },
      4_000,
    );
    expect(started).toEqual({
      type: "run.started",
      finishBy: 64_000,
      cancelOn: [{ event: "user/deleted", until: 5_000, if: "event.data.id == async.data.id" }],
    });
  });

  it("fails the run, as a wake-up, once the finish deadline passes", () => {
    const state = newRun();
    apply(state, { type: "run.started", finishBy: 64_000, seq: 2, at: 4_000 });
    expect(nextWake(state, 10_000)).toBe(64_000);
    expect(wakeEvents(state, 64_000)).toMatchObject([{ type: "run.failed", error: { name: "FunctionTimeoutError" } }]);
  });

  it("cancels instead, under Inngest's rules, once the finish deadline passes", () => {
    const config = engineConfig({ id: "f", retries: 0, timeouts: { finish: "1m" } }, "inngest");
    const [started] = decideStart(newRun(), config, 4_000);
    expect(started).toEqual({ type: "run.started", finishBy: 64_000, finishCancels: true });
    const state = newRun();
    apply(state, { ...started!, seq: 2, at: 4_000 } as HistoryEntry);
    expect(wakeEvents(state, 64_000)).toMatchObject([
      { type: "run.cancelled", reason: expect.stringContaining("finish") },
    ]);
  });
});

describe("versions", () => {
  it("records the version a run starts on, and names both when a changed one no longer matches", () => {
    const state = newRun();
    const [started] = decideStart(state, { ...config, version: "v1" }, ctx.now);
    expect(started).toMatchObject({ type: "run.started", version: "v1" });
    record(state, [started!]);
    expect(state.version).toBe("v1");
    const nonDeterministic: ExecutionResponse = {
      type: "failed",
      error: { name: "NonDeterminismError", message: 'step "a" is gone' },
      retriable: false,
    };
    const [failed] = decide(state, nonDeterministic, { ...config, version: "v2" }, ctx);
    expect(failed).toMatchObject({
      type: "run.failed",
      error: { message: 'step "a" is gone (the run started on version v1; this is version v2)' },
    });
    const [same] = decide(state, nonDeterministic, { ...config, version: "v1" }, ctx);
    expect(same).toMatchObject({ error: { message: 'step "a" is gone' } });
  });
});
