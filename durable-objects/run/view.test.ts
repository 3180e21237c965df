import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "./history.ts";
import { foldHistory, type RunState } from "./state.ts";
import { runView, runViewSchema } from "./view.ts";

const created: HistoryEntry = {
  type: "run.created",
  runId: "r",
  functionId: "f",
  events: [{ id: "e", name: "n", data: { a: 1 }, ts: 0 }],
  seq: 1,
  at: 1_000,
};
const fold = (entries: HistoryEntry[]): RunState => foldHistory(entries) as RunState;

describe("runView", () => {
  it("shows a sleeping run with its steps in order, ISO times, attempts and the next wake", () => {
    const until = Date.UTC(2030, 0, 1);
    const state = fold([
      created,
      { type: "run.started", seq: 2, at: 1_000 },
      {
        type: "step.retrying",
        stepId: "a",
        name: "fetch",
        op: "run",
        attempt: 0,
        startedAt: 1_100,
        error: { name: "Error", message: "flaky" },
        retryAt: 3_000,
        seq: 3,
        at: 1_200,
      },
      {
        type: "step.completed",
        stepId: "a",
        name: "fetch",
        op: "run",
        attempt: 1,
        startedAt: 3_000,
        output: { ok: true },
        seq: 4,
        at: 3_500,
      },
      { type: "step.sleeping", stepId: "b", name: "nap", until, seq: 5, at: 3_600 },
    ] as HistoryEntry[]);
    const view = runView(state, 4_000);
    expect(view).toMatchObject({
      id: "r",
      functionId: "f",
      status: "sleeping",
      event: { id: "e", data: { a: 1 } },
      createdAt: "1970-01-01T00:00:01.000Z",
    });
    expect(view.nextWakeAt).toBe(new Date(until).toISOString());
    expect(view.endedAt).toBeUndefined();
    expect(view.steps.map((step) => [step.id, step.status])).toEqual([
      ["a", "completed"],
      ["b", "sleeping"],
    ]);
    // A completed step counts the attempt that succeeded; it started at its first attempt, so its
    // duration spans the retries too (the waterfall shows the attempts within it).
    expect(view.steps[0]).toMatchObject({
      attempts: 2,
      output: { ok: true },
      durationMs: 2_400,
      startedAt: "1970-01-01T00:00:01.100Z",
    });
    expect(view.steps[1]).toMatchObject({ sleepUntil: new Date(until).toISOString(), retryAt: undefined });
  });

  it("shows a retrying step's next attempt, and only while it retries", () => {
    const state = fold([
      created,
      { type: "run.started", seq: 2, at: 1_000 },
      {
        type: "step.retrying",
        stepId: "a",
        name: "a",
        op: "run",
        attempt: 0,
        startedAt: 1_100,
        error: { name: "Error", message: "flaky" },
        retryAt: 9_000,
        seq: 3,
        at: 1_200,
      },
    ] as HistoryEntry[]);
    const [step] = runView(state, 2_000).steps;
    expect(step).toMatchObject({
      status: "retrying",
      attempts: 1,
      retryAt: "1970-01-01T00:00:09.000Z",
      error: { message: "flaky" },
    });
  });

  it("shows an ended run's result and end time, with nothing left to wake for", () => {
    const state = fold([
      created,
      { type: "run.started", seq: 2, at: 1_000 },
      { type: "run.failed", error: { name: "LimitExceededError", message: "too many steps" }, seq: 3, at: 2_000 },
    ] as HistoryEntry[]);
    const view = runView(state, 5_000);
    expect(view).toMatchObject({
      status: "failed",
      error: { name: "LimitExceededError" },
      endedAt: "1970-01-01T00:00:02.000Z",
    });
    expect(view.nextWakeAt).toBeUndefined();
  });

  it("is what its schema accepts, so it survives the trip across RPC", () => {
    const state = fold([created, { type: "run.started", seq: 2, at: 1_000 }]);
    expect(runViewSchema.parse(runView(state, 2_000))).toEqual(runView(state, 2_000));
  });
});
