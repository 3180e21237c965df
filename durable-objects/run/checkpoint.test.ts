import { describe, expect, it } from "vitest";
import { checkpointRefusal } from "./checkpoint.ts";
import { memoryJournal } from "./memory-journal.test-support.ts";

const ran = (id: string) => ({
  type: "ran" as const,
  id,
  name: id,
  output: 1,
  timing: { startedAt: 0, endedAt: 0 },
});

describe("a checkpoint's admission", () => {
  const run = () => memoryJournal("app-fn", { id: "e1", name: "shop/order", data: {}, ts: 0 }, "r1");

  it("takes new steps, and steps already completed (a resent checkpoint), of an open call of this function", () => {
    const { state, record } = run();
    record([{ type: "step.completed", stepId: "a", name: "a", op: "run", attempt: 0, startedAt: 0, output: 1 }]);
    expect(checkpointRefusal(state, true, "app-fn", [ran("a"), ran("b")])).toBeUndefined();
  });

  it("refuses a call no longer open, another function's call, an ended run, and a step not run by this call", () => {
    const { state, record } = run();
    expect(checkpointRefusal(state, false, "app-fn", [ran("b")])).toMatch(/no longer under way/);
    expect(checkpointRefusal(state, true, "other-fn", [ran("b")])).toMatch(/of function "app-fn"/);
    record([{ type: "step.sleeping", stepId: "nap", name: "nap", until: 10 }]);
    expect(checkpointRefusal(state, true, "app-fn", [ran("nap")])).toMatch(/step "nap"/);
    record([{ type: "run.cancelled", reason: "by hand" }]);
    expect(checkpointRefusal(state, true, "app-fn", [ran("b")])).toMatch(/ended \(cancelled\)/);
  });
});
