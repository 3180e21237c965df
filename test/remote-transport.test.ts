import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ExecutionRequest } from "../sdk/protocol.ts";
import type { Env } from "../src/core/env.ts";
import { executeRemote } from "../src/core/transport/remote.ts";

const request: ExecutionRequest = {
  version: 1,
  functionId: "f",
  runId: "r",
  attempt: 0,
  event: { id: "e", name: "x", data: {}, ts: 0 },
  events: [{ id: "e", name: "x", data: {}, ts: 0 }],
  steps: {},
  allowImmediate: true,
};
/** An app behind a binding that answers every call with `status` and `body`. */
const answering = (status: number, body: string): Env =>
  ({ ...env, FIXED: { fetch: async () => new Response(body, { status }) } }) as unknown as Env;

describe("the remote transport's failures", () => {
  it("an unreachable app fails the attempt of the step asked for, with the cause", async () => {
    const response = await executeRemote(
      env,
      { url: "http://127.0.0.1:9/" },
      "app",
      { ...request, runStep: "charge" },
      () => "charge card",
    );
    expect(response).toMatchObject({
      type: "steps",
      steps: [{ type: "errored", id: "charge", name: "charge card", retriable: true }],
    });
    expect(
      response.type === "steps" && response.steps[0]?.type === "errored" && response.steps[0].error.message,
    ).toMatch(/unreachable/);
  });

  it("a 5xx fails the function body's attempt, retriably, quoting the answer", async () => {
    const response = await executeRemote(
      answering(503, "down for maintenance"),
      { binding: "FIXED" },
      "app",
      request,
      (id) => id,
    );
    expect(response).toMatchObject({ type: "failed", retriable: true });
    expect(response.type === "failed" && response.error.message).toContain("503: down for maintenance");
  });

  it("an unsigned or malformed answer is a failed attempt too", async () => {
    const unsigned = await executeRemote(
      answering(200, '{"type":"completed","output":1}'),
      { binding: "FIXED" },
      "app",
      request,
      (id) => id,
    );
    expect(unsigned.type === "failed" && unsigned.error.message).toContain("without a valid signature");
  });

  it("without a signing key nothing is sent, and the attempt says why", async () => {
    const response = await executeRemote(
      { ...env, STEPWISE_SIGNING_KEY: "" },
      { url: "http://127.0.0.1:9/" },
      "app",
      request,
      (id) => id,
    );
    expect(response.type === "failed" && response.error.message).toContain("STEPWISE_SIGNING_KEY");
  });
});
