import { describe, expect, it } from "vitest";
import { memoryJournal } from "./memory-journal.test-support.ts";
import { memoAtPlan, requestMany } from "./requests.ts";

const scheduled = (stepId: string) => ({ type: "step.scheduled" as const, stepId, name: stepId, op: "run" as const });
const completed = (stepId: string, output: unknown) => ({
  type: "step.completed" as const,
  stepId,
  name: stepId,
  op: "run" as const,
  attempt: 0,
  output,
});

describe("memoAtPlan", () => {
  it("keeps what ended before the steps were planned, not the siblings that ended since", () => {
    const { state, record } = memoryJournal("f");
    record([completed("a", 1), scheduled("p1"), scheduled("p2"), scheduled("p3"), completed("p1", 10)]);
    const [p2, p3] = [state.steps.get("p2")!, state.steps.get("p3")!];
    expect(memoAtPlan(state, [p2, p3])).toEqual({ a: { status: "completed", op: "run", output: 1 } });
    const request = requestMany(state, [p2, p3], true);
    expect(request.runSteps).toEqual(["p2", "p3"]);
    expect(Object.keys(request.steps)).toEqual(["a"]);
    // Without `atPlan` (live, in process), the call gets the memo as it is.
    expect(Object.keys(requestMany(state, [p2, p3]).steps).sort()).toEqual(["a", "p1"]);
  });

  it("for steps planned at different times, keeps what the latest plan's replay had", () => {
    const { state, record } = memoryJournal("f");
    // Branch one plans p1 and p2; branch two finishes x, and its next step y is planned after.
    record([scheduled("p1"), scheduled("p2"), scheduled("x"), completed("x", "x"), completed("p1", 1), scheduled("y")]);
    const memo = memoAtPlan(state, [state.steps.get("p2")!, state.steps.get("y")!]);
    expect(Object.keys(memo).sort()).toEqual(["p1", "x"]);
  });
});
