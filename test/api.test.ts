import { createExecutionContext, env, SELF } from "cloudflare:test";
import { app } from "../src/api/app.ts";
import { describe, expect, it } from "vitest";
import { indexedRun } from "./indexed.ts";

const post = (path: string, body: string) =>
  SELF.fetch(`http://stepwise${path}`, { method: "POST", body, headers: { "content-type": "application/json" } });

describe("HTTP API errors", () => {
  it("unknown function: 404 naming it", async () => {
    const response = await post("/v1/functions/nope/invoke", "{}");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "function_not_found", message: 'No function "nope" is registered' },
    });
  });

  it("malformed JSON: 400, never a 500", async () => {
    const response = await post("/v1/functions/onboard-user/invoke", "{not json");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_json" } });
  });

  it("schema failure: 400 with the zod issues", async () => {
    const response = await post("/v1/functions/onboard-user/invoke", JSON.stringify({ data: [1, 2] }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; issues: { path: string[] }[] } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.issues[0]?.path).toEqual(["data"]);
  });

  it("event data over 512 KiB: 413 with the limit", async () => {
    // Without the R2 bucket, invoke data is held to the event limit.
    const response = await app.request(
      "/v1/functions/onboard-user/invoke",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: { blob: "x".repeat(600 * 1024) } }),
      },
      { ...env, PAYLOADS: undefined },
      createExecutionContext(),
    );
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      error: { code: "payload_too_large", message: "Event data is 600 KiB; the limit is 512 KiB" },
    });
  });

  it("unknown run: 404; malformed run id: 400", async () => {
    expect((await SELF.fetch("http://stepwise/v1/runs/01JNOTAREALRUN0000000000")).status).toBe(404);
    expect((await SELF.fetch("http://stepwise/v1/runs/01JNOTAREALRUN0000000000/history")).status).toBe(404);
    expect((await post("/v1/runs/01JNOTAREALRUN0000000000/wake", "")).status).toBe(404);
    expect((await SELF.fetch("http://stepwise/v1/runs/%3Cscript%3E")).status).toBe(400);
  });

  it("lists the registered functions", async () => {
    const body = (await (await SELF.fetch("http://stepwise/v1/functions")).json()) as { functions: { id: string }[] };
    expect(body.functions.map((fn) => fn.id)).toEqual(
      expect.arrayContaining(["onboard-user", "analyze-document", "onboarding-retry-policy"]),
    );
  });
});

describe("run index", () => {
  it("holds each run's latest status, written on status changes", async () => {
    const invoked = await post(
      "/v1/functions/onboard-user/invoke",
      JSON.stringify({ data: { userId: "idx", email: "i@example.com" } }),
    );
    const { runId } = (await invoked.json()) as { runId: string };
    const { client } = await import("./helpers.ts");
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    const row = async () => {
      const found = await indexedRun(runId);
      return found && { status: found.status, functionId: found.functionId, eventName: found.eventName };
    };
    await expect
      .poll(row)
      .toEqual({ status: "sleeping", functionId: "onboard-user", eventName: "stepwise/function.invoked" });
    await client.waitForEnd(runId, { skipTime: true });
    await expect.poll(row).toMatchObject({ status: "completed" });
  });
});
