import { describe, expect, it } from "vitest";
import { MAX_RUN_KEPT_BYTES, type ExecutionResponse } from "../../sdk/protocol.ts";
import { decide, keptBytes } from "./engine.ts";
import { engineConfig } from "./engine-config.ts";
import type { HistoryEntry, HistoryEvent } from "./history.ts";
import { apply, foldHistory, MAX_RUN_LOG_LINES, type RunState } from "./state.ts";

const MiB = 1024 * 1024;
const config = { ...engineConfig(undefined, undefined, { payloads: true }), maxSteps: 100 };
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

const record = (state: RunState, events: HistoryEvent[]): RunState => {
  for (const event of events) apply(state, { ...event, seq: state.lastSeq + 1, at: ctx.now });
  return state;
};

/** Steps whose results were put in R2, each `mib` MiB, answered together. */
const claimed = (ids: string[], mib: number): ExecutionResponse => ({
  type: "steps",
  steps: ids.map((id) => ({
    type: "ran",
    id,
    name: id,
    output: null,
    timing,
    claim: { key: `k/${id}`, bytes: mib * MiB },
  })),
});

describe("results a run keeps in R2", () => {
  it("are limited per run, the steps of one answer counted together", () => {
    const state = record(newRun(), decide(newRun(), claimed(["a", "b"], 100), config, ctx));
    expect(keptBytes(state)).toBe(200 * MiB);
    // 200 MiB kept: of two more 40 MiB results in one answer, the first fits and the second does not.
    const events = decide(state, claimed(["c", "d"], 40), config, ctx);
    expect(events.map((event) => event.type)).toEqual(["step.completed", "step.failed"]);
    const failed = events[1];
    expect(failed?.type === "step.failed" && failed.error).toMatchObject({
      name: "LimitExceededError",
      message: expect.stringContaining(`the limit per run is ${MAX_RUN_KEPT_BYTES / MiB} MiB`),
    });
  });

  it("a function's result past the inline limit needs a claim; with one it may reach the step limit", () => {
    const big = "x".repeat(MiB + 10);
    expect(decide(newRun(), { type: "completed", output: big }, config, ctx)).toMatchObject([
      { type: "run.failed", error: { name: "LimitExceededError" } },
    ]);
    const claim = { key: "runs/r/result", bytes: 50 * MiB };
    expect(decide(newRun(), { type: "completed", output: null, claim }, config, ctx)).toEqual([
      { type: "run.completed", output: null, claim },
    ]);
  });

  it("events to send and children's data past the inline limit fail their step: the history's row holds them", () => {
    const blob = "x".repeat(MiB + 10);
    const send: ExecutionResponse = {
      type: "steps",
      steps: [{ type: "send", id: "s", name: "s", events: [{ name: "big", data: { blob } }] }],
    };
    const state = record(newRun(), decide(newRun(), send, config, ctx));
    expect(state.steps.get("s")).toMatchObject({ status: "failed", error: { name: "LimitExceededError" } });
    const invoke: ExecutionResponse = {
      type: "steps",
      steps: [
        {
          type: "invoke",
          id: "i",
          name: "i",
          invoke: { children: [{ functionId: "g", data: { blob } }], many: false },
        },
      ],
    };
    expect(decide(newRun(), invoke, config, ctx)).toMatchObject([
      { type: "step.failed", op: "invoke", error: { message: expect.stringContaining("children's data take 1 MiB") } },
    ]);
  });

  it("step logs stop being recorded once the run holds 5,000 lines", () => {
    const line = { level: "info" as const, at: 1, message: "x" };
    const logged = (id: string, count: number): ExecutionResponse => ({
      type: "steps",
      steps: [{ type: "ran", id, name: id, output: null, timing, logs: Array.from({ length: count }, () => line) }],
    });
    const state = newRun();
    for (let i = 0; i < 50; i++) record(state, decide(state, logged(`s${i}`, 100), config, ctx));
    expect(state.logLines).toBe(MAX_RUN_LOG_LINES);
    const [over] = decide(state, logged("over", 10), config, ctx);
    expect(over).toMatchObject({ type: "step.completed" });
    expect(over && "logs" in over ? over.logs : undefined).toBeUndefined();
  });
});
