import { describe, expect, it } from "vitest";
import {
  checkpointBodySchema,
  checkpointedSteps,
  encodeMemo,
  inngestCall,
  readAnswer,
  retryAt,
  unwrapAnswer,
} from "./translate.ts";

const timing = { startedAt: 1_000, endedAt: 2_000 };
const answer206 = (ops: unknown[], headers: Record<string, string> = {}) =>
  readAnswer({ status: 206, headers: new Headers(headers), text: JSON.stringify(ops) }, timing);

describe("Inngest answers read as the engine's", () => {
  it("fails for good a step the engine could never start, naming the op, instead of leaving the run stuck", () => {
    const read = answer206([
      { op: "InvokeFunction", id: "h1", displayName: "call-child", opts: { payload: { data: { x: 1 } } } },
      { op: "WaitForEvent", id: "h2", displayName: "approval", opts: { event: "demo/ok", timeout: "soon-ish" } },
    ]);
    expect(read).toMatchObject({
      type: "steps",
      steps: [
        {
          type: "errored",
          id: "h1",
          name: "call-child",
          retriable: false,
          error: { name: "ProtocolError", message: expect.stringContaining('"call-child" (InvokeFunction)') },
        },
        {
          type: "errored",
          id: "h2",
          retriable: false,
          error: { name: "ProtocolError", message: expect.stringContaining("soon-ish") },
        },
      ],
    });
  });

  it("reads an invoke with its target, payload and timeout", () => {
    const read = answer206([
      {
        op: "InvokeFunction",
        id: "h1",
        displayName: "call-child",
        opts: { function_id: "app-child", payload: { data: { x: 1 } }, timeout: "1m" },
      },
    ]);
    expect(read).toEqual({
      type: "steps",
      steps: [
        {
          type: "invoke",
          id: "h1",
          name: "call-child",
          invoke: { children: [{ functionId: "app-child", data: { x: 1 } }], many: false, until: 2_000 + 60_000 },
        },
      ],
    });
  });

  it("completes on RunComplete alone, and records the steps beside one (the next call completes again)", () => {
    expect(answer206([{ op: "RunComplete", id: "c", data: { ok: 1 } }])).toEqual({
      type: "completed",
      output: { ok: 1 },
    });
    const both = answer206([
      { op: "StepRun", id: "h1", displayName: "a", data: 5 },
      { op: "RunComplete", id: "c", data: 5 },
    ]);
    expect(both).toEqual({ type: "steps", steps: [{ type: "ran", id: "h1", name: "a", output: 5, timing }] });
  });

  it("honours retry-after on a step error, clamped to at least a second", () => {
    const read = answer206([{ op: "StepError", id: "h1", displayName: "a", error: { name: "Error", message: "x" } }], {
      "retry-after": "0",
    });
    expect(read).toMatchObject({ steps: [{ type: "errored", retriable: true, retryAt: 3_000 }] });
    expect(retryAt("2026-12-04T00:00:00Z", 0)).toBe(86_400_000);
  });

  it("unwraps a streamed 201, heartbeats and all", () => {
    const inner = { status: 206, headers: { "x-inngest-signature": "t=1&s=ab" }, body: "[]", version: 2 };
    const unwrapped = unwrapAnswer(201, new Headers(), `   ${JSON.stringify(inner)}`);
    expect(unwrapped.status).toBe(206);
    expect(unwrapped.text).toBe("[]");
    expect(unwrapped.headers.get("x-inngest-signature")).toBe("t=1&s=ab");
  });

  it("refuses an answer that is not the SDK's", () => {
    expect(() => readAnswer({ status: 502, headers: new Headers(), text: "bad gateway" }, timing)).toThrow(/502/);
  });
});

describe("memo in Inngest's encoding", () => {
  it("gives an invoke that timed out Inngest's timeout error", () => {
    const memo = encodeMemo({
      status: "failed",
      op: "invoke",
      error: { name: "InvokeTimeoutError", message: "child did not end" },
    });
    expect(memo).toEqual({
      error: {
        name: "InngestInvokeTimeoutError",
        message: "Timed out waiting for invoked function to complete",
        error: "InngestInvokeTimeoutError: Timed out waiting for invoked function to complete",
      },
    });
    expect(encodeMemo({ status: "completed", op: "invoke", output: { r: 1 } })).toEqual({ data: { r: 1 } });
    expect(encodeMemo({ status: "completed", op: "sleep", output: null })).toBeNull();
  });

  it("sends fn_id and qi_id only to an app that reaches Stepwise, so only it checkpoints", () => {
    const request = {
      version: 1 as const,
      functionId: "app-fn",
      runId: "r1",
      attempt: 0,
      event: { id: "e1", name: "shop/order", data: {}, ts: 1 },
      events: [{ id: "e1", name: "shop/order", data: {}, ts: 1 }],
      steps: {},
      allowImmediate: true,
    };
    expect(inngestCall(request, 5, "call-1").body.ctx).toMatchObject({ fn_id: "app-fn", qi_id: "call-1" });
    expect(inngestCall(request, 5).body.ctx).not.toHaveProperty("qi_id");
  });

  it("reads a checkpoint's StepRun ops as steps run, with the SDK's timing, and nothing else", () => {
    const body = checkpointBodySchema.parse({
      run_id: "r1",
      fn_id: "app-fn",
      qi_id: "call-1",
      steps: [
        { op: "StepRun", id: "h1", displayName: "a", data: 1, timing: { a: 5_000_000_000, b: 2_000_000 } },
        { op: "StepPlanned", id: "h2", displayName: "b" },
        { op: "StepRun", id: "h3", userland: { id: "c", index: 1 } },
      ],
    });
    expect(checkpointedSteps(body, 42)).toEqual([
      { type: "ran", id: "h1", name: "a", output: 1, timing: { startedAt: 5_000, endedAt: 5_002 } },
      { type: "ran", id: "h3", name: "c#1", output: null, timing: { startedAt: 42, endedAt: 42 } },
    ]);
  });

  it("never sends fn_id by default, so the SDK does not checkpoint to a Stepwise it may not reach", () => {
    const call = inngestCall(
      {
        version: 1,
        functionId: "app-fn",
        runId: "r1",
        attempt: 0,
        event: { id: "e1", name: "stepwise/function.invoked", data: {}, ts: 1 },
        events: [{ id: "e1", name: "stepwise/function.invoked", data: {}, ts: 1 }],
        steps: {},
        allowImmediate: true,
      },
      5,
    );
    expect(call.body.ctx).not.toHaveProperty("fn_id");
    expect(call.body.event).toMatchObject({ name: "inngest/function.invoked" });
    expect(call.query).toBe("fnId=app-fn&stepId=step");
  });
});
