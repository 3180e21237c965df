import { describe, expect, it } from "vitest";
import type { ExecutionResponse } from "../../sdk/protocol.ts";
import { decide, type EngineConfig } from "./engine.ts";
import type { HistoryEntry, HistoryEvent } from "./history.ts";
import { keptSteps } from "./replay.ts";
import { apply, foldHistory, runStatus, type RunState } from "./state.ts";
import { wakeEvents } from "./timers.ts";
import { decideCompletion, openToken, tokenViews } from "./tokens.ts";

const config: EngineConfig = {
  retries: 0,
  backoff: { initialMs: 1_000, coefficient: 2, maxMs: 60_000 },
  maxSteps: 100,
  maxOutputBytes: 1_000,
  publicUrl: "https://flows.example.com/",
};
const now = 10_000;
const ctx = { now, random: () => 0.5 };

function newRun(): RunState {
  const created: HistoryEntry = {
    type: "run.created",
    runId: "R1",
    functionId: "f",
    events: [{ id: "e", name: "x", data: {}, ts: 0 }],
    seq: 1,
    at: 0,
  };
  return foldHistory([created]) as RunState;
}

function record(state: RunState, events: HistoryEvent[], at = now): RunState {
  for (const event of events) apply(state, { ...event, seq: state.lastSeq + 1, at });
  return state;
}

const reach = (step: Extract<ExecutionResponse, { type: "steps" }>["steps"][number]): ExecutionResponse => ({
  type: "steps",
  steps: [step],
});

describe("wait tokens in the engine", () => {
  it("createToken completes at once with the token; its URL starts with the public URL; no secret shows", () => {
    const state = newRun();
    const events = decide(
      state,
      reach({ type: "token", id: "t", name: "t", token: { until: now + 5_000, secret: "s".repeat(16) } }),
      config,
      ctx,
    );
    expect(events.map((e) => e.type)).toEqual(["token.created", "step.completed"]);
    record(state, events);
    const output = state.memo.t?.status === "completed" ? (state.memo.t.output as { id: string; url: string }) : null;
    expect(output?.id).toMatch(/^wt_[0-9a-f]{32}_R1$/);
    expect(output?.url).toBe(`https://flows.example.com/v1/tokens/${output?.id}/complete`);
    const [view] = tokenViews(state, now, config.publicUrl);
    expect(view).toMatchObject({ id: output?.id, status: "open", signed: true, stepId: "t" });
    expect(JSON.stringify(view)).not.toContain("ssss");
  });

  it("a completion before the wait is kept; the wait ends as it begins", () => {
    const state = newRun();
    record(
      state,
      decide(state, reach({ type: "token", id: "t", name: "t", token: { until: now + 5_000 } }), config, ctx),
    );
    const [token] = state.tokens.values();
    const opened = openToken(state, token!.id, now);
    if ("code" in opened) throw new Error(opened.message);
    expect(decideCompletion(state, opened, { ok: 1 }, now).map((e) => e.type)).toEqual(["token.completed"]);
    record(state, decideCompletion(state, opened, { ok: 1 }, now));
    expect(openToken(state, token!.id, now)).toMatchObject({ code: "token_completed", status: 409 });
    const wait = decide(
      state,
      reach({ type: "token-wait", id: "w", name: "w", token: { until: now + 5_000, tokenId: token!.id } }),
      config,
      ctx,
    );
    record(state, wait);
    expect(state.memo.w).toMatchObject({ status: "completed", output: { tokenId: token!.id, data: { ok: 1 } } });
  });

  it("a wait with its own token waits, is completed once, and times out to null when not", () => {
    const state = record(newRun(), [{ type: "run.started" }]);
    record(
      state,
      decide(state, reach({ type: "token-wait", id: "w", name: "w", token: { until: now + 5_000 } }), config, ctx),
    );
    expect(runStatus(state)).toBe("waiting");
    const step = state.steps.get("w");
    expect(step?.tokenId).toMatch(/^wt_/);
    const timedOut = newRun();
    record(
      timedOut,
      decide(timedOut, reach({ type: "token-wait", id: "w", name: "w", token: { until: now + 5_000 } }), config, ctx),
    );
    expect(wakeEvents(timedOut, now + 5_000)).toEqual([
      expect.objectContaining({ stepId: "w", output: null, timedOut: true }),
    ]);
    const opened = openToken(state, step!.tokenId!, now);
    if ("code" in opened) throw new Error(opened.message);
    record(state, decideCompletion(state, opened, "yes", now));
    expect(state.memo.w).toMatchObject({ status: "completed", output: { data: "yes" } });
    expect(openToken(state, step!.tokenId!, now + 10_000)).toMatchObject({ code: "token_completed" });
  });

  it("refuses an unknown token, an expired one and one of an ended run", () => {
    const state = newRun();
    record(
      state,
      decide(state, reach({ type: "token", id: "t", name: "t", token: { until: now + 5_000 } }), config, ctx),
    );
    const [token] = state.tokens.values();
    expect(openToken(state, `wt_${"0".repeat(32)}_R1`, now)).toMatchObject({ code: "token_not_found", status: 404 });
    expect(openToken(state, token!.id, now + 5_000)).toMatchObject({ code: "token_expired", status: 410 });
    const wait = decide(
      state,
      reach({ type: "token-wait", id: "late", name: "late", token: { until: now + 5_000, tokenId: token!.id } }),
      config,
      { ...ctx, now: now + 6_000 },
    );
    expect(wait.at(-1)).toMatchObject({ type: "step.completed", output: null, timedOut: true });
    record(state, [{ type: "run.cancelled", reason: "test" }]);
    expect(openToken(state, token!.id, now)).toMatchObject({ code: "run_ended", status: 410 });
    expect(tokenViews(state, now)[0]?.status).toBe("expired");
  });

  it("a wait for a token this run did not make fails with UnknownTokenError", () => {
    const state = newRun();
    const events = decide(
      state,
      reach({
        type: "token-wait",
        id: "w",
        name: "w",
        token: { until: now + 5_000, tokenId: `wt_${"a".repeat(32)}_R2` },
      }),
      config,
      ctx,
    );
    expect(events).toEqual([
      expect.objectContaining({ type: "step.failed", error: expect.objectContaining({ name: "UnknownTokenError" }) }),
    ]);
  });

  it("a replay keeps the steps before a token, not the token: the replay makes its own", () => {
    const state = newRun();
    record(state, [{ type: "step.completed", stepId: "a", name: "a", op: "run", attempt: 0, output: 1 }], 1);
    record(
      state,
      decide(state, reach({ type: "token", id: "t", name: "t", token: { until: now + 5_000 } }), config, ctx),
      2,
    );
    record(state, [{ type: "step.completed", stepId: "b", name: "b", op: "run", attempt: 0, output: 2 }], 3);
    expect(keptSteps(state, false).map((step) => step.stepId)).toEqual(["a"]);
  });
});
