import { describe, expect, it } from "vitest";
import type { RunView } from "../runs.ts";
import { emptyStream, foldRun, foldStream } from "./fold.ts";

const run: RunView = {
  id: "r",
  functionId: "f",
  status: "running",
  attempt: 0,
  events: [],
  steps: [{ id: "a", name: "a", op: "run", status: "planned", attempts: 0 }],
};

describe("folding realtime messages", () => {
  it("a run: snapshot, a step updated and one added, metadata, then its end", () => {
    let view = foldRun(undefined, { type: "step", step: run.steps[0]! });
    expect(view).toBeUndefined();
    view = foldRun(view, { type: "snapshot", run });
    view = foldRun(view, { type: "step", step: { ...run.steps[0]!, status: "completed", attempts: 1 } });
    view = foldRun(view, { type: "step", step: { id: "b", name: "b", op: "sleep", status: "sleeping", attempts: 0 } });
    view = foldRun(view, { type: "metadata", metadata: { done: 1 } });
    view = foldRun(view, { type: "status", status: "completed", output: 42 });
    expect(view?.steps.map((s) => [s.id, s.status])).toEqual([
      ["a", "completed"],
      ["b", "sleeping"],
    ]);
    expect(view).toMatchObject({ status: "completed", output: 42, metadata: { done: 1 } });
  });

  it("a stream: text joined in order, live after the replay, a repeated message ignored", () => {
    let view = emptyStream<string>();
    for (const [seq, data] of [
      [1, "he"],
      [2, "llo"],
      [2, "llo"],
      [3, { done: true }],
    ] as const)
      view = foldStream(view, { type: "message", seq, data, at: 0 });
    view = foldStream(view, { type: "live", seq: 3 });
    expect(view.text).toBe("hello");
    expect(view.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(view.live).toBe(true);
  });
});
