import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "./history.ts";
import { keptSteps, replayRefusal } from "./replay.ts";
import { foldHistory, type RunState } from "./state.ts";

/** A run that completed `a`, then failed at `b` (and had planned `c` after it). */
function failedRun(ended: "failed" | "completed" = "failed"): RunState {
  const entries: HistoryEntry[] = [
    {
      type: "run.created",
      runId: "r",
      functionId: "f",
      events: [{ id: "e", name: "n", data: {}, ts: 0 }],
      seq: 1,
      at: 0,
    },
    { type: "run.started", seq: 2, at: 1 },
    {
      type: "step.completed",
      stepId: "a",
      name: "a",
      op: "run",
      attempt: 0,
      startedAt: 2,
      output: { n: 1 },
      seq: 3,
      at: 3,
    },
    {
      type: "step.failed",
      stepId: "b",
      name: "b",
      op: "run",
      attempt: 0,
      startedAt: 4,
      error: { name: "Error", message: "boom" },
      seq: 4,
      at: 5,
    },
    ended === "failed"
      ? { type: "run.failed", error: { name: "Error", message: "boom" }, seq: 5, at: 6 }
      : { type: "run.completed", output: null, seq: 5, at: 6 },
  ] as HistoryEntry[];
  return foldHistory(entries) as RunState;
}

describe("replay", () => {
  it("keeps the completed steps before the first failed one; fromStart keeps none", () => {
    expect(keptSteps(failedRun(), false)).toEqual([{ stepId: "a", name: "a", op: "run", output: { n: 1 } }]);
    expect(keptSteps(failedRun(), true)).toEqual([]);
  });

  it("is refused for a run that did not fail or get cancelled", () => {
    expect(replayRefusal(failedRun())).toBeUndefined();
    expect(replayRefusal(failedRun("completed"))).toBe(
      "Run r is completed; only failed or cancelled runs can be replayed (a completed one from a step, or with new data)",
    );
  });

  it("from a step: keeps the steps before it, on a completed run too; an unknown step is refused", () => {
    expect(keptSteps(failedRun("completed"), { fromStart: false, fromStep: "b" }).map((s) => s.stepId)).toEqual(["a"]);
    expect(keptSteps(failedRun(), { fromStart: false, fromStep: "a" })).toEqual([]);
    expect(replayRefusal(failedRun("completed"), { fromStart: false, fromStep: "b" })).toBeUndefined();
    expect(replayRefusal(failedRun("completed"), { fromStart: false, edited: true })).toBeUndefined();
    expect(replayRefusal(failedRun(), { fromStart: false, fromStep: "zz" })).toBe('Run r has no step "zz"');
  });
});
