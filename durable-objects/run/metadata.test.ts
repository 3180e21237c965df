import { describe, expect, it } from "vitest";
import type { ExecutionResponse } from "../../sdk/protocol.ts";
import { MAX_METADATA_BYTES } from "../../sdk/metadata.ts";
import { decide, type EngineConfig } from "./engine.ts";
import type { HistoryEntry, HistoryEvent } from "./history.ts";
import { apply, foldHistory, type RunState } from "./state.ts";

const config: EngineConfig = {
  retries: 2,
  backoff: { initialMs: 1_000, coefficient: 2, maxMs: 60_000 },
  maxSteps: 100,
  maxOutputBytes: 1_000,
};
const ctx = { now: 10_000, random: () => 0.5 };
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
  return foldHistory([created]) as RunState;
}

const record = (state: RunState, events: HistoryEvent[]): void => {
  for (const event of events) apply(state, { ...event, seq: state.lastSeq + 1, at: ctx.now });
};

const ranWith = (ids: string[], value: string): ExecutionResponse => ({
  type: "steps",
  steps: ids.map((id) => ({
    type: "ran" as const,
    id,
    name: id,
    output: null,
    metadata: [{ op: "set" as const, key: id, value }],
    timing,
  })),
});

describe("run metadata in the engine", () => {
  it("a completed step's changes are recorded with it and folded into the run's metadata", () => {
    const state = newRun();
    const events = decide(state, ranWith(["a"], "x"), config, ctx);
    expect(events).toEqual([
      expect.objectContaining({ type: "step.completed", metadata: [{ op: "set", key: "a", value: "x" }] }),
    ]);
    record(state, events);
    expect(state.metadata).toEqual({ a: "x" });
  });

  it("fails a step whose changes would pass the limit, counting the steps of one answer together", () => {
    const half = "x".repeat(MAX_METADATA_BYTES / 2);
    const state = newRun();
    const events = decide(state, ranWith(["a", "b"], half), config, ctx);
    expect(events.map((event) => event.type)).toEqual(["step.completed", "step.failed"]);
    expect(events[1]).toMatchObject({ error: { name: "LimitExceededError" } });
    record(state, events);
    expect(Object.keys(state.metadata)).toEqual(["a"]);
  });

  it("a result kept in R2 is recorded as its claim, within the limit the claim states", () => {
    const big = { ...config, maxOutputBytes: 100 * 1024 * 1024 };
    const claimed = (bytes: number): ExecutionResponse => ({
      type: "steps",
      steps: [{ type: "ran", id: "a", name: "a", output: null, claim: { key: "runs/r/steps/a", bytes }, timing }],
    });
    const state = newRun();
    const events = decide(state, claimed(20 * 1024 * 1024), big, ctx);
    expect(events).toEqual([
      expect.objectContaining({
        type: "step.completed",
        output: null,
        claim: { key: "runs/r/steps/a", bytes: 20 * 1024 * 1024 },
      }),
    ]);
    record(state, events);
    expect(state.memo.a).toMatchObject({ status: "completed", claim: { key: "runs/r/steps/a" } });
    const over = decide(newRun(), claimed(101 * 1024 * 1024), big, ctx);
    expect(over[0]).toMatchObject({
      type: "step.failed",
      error: { name: "LimitExceededError", message: expect.stringContaining("101 MiB") },
    });
  });
});
