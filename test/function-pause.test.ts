/**
 * Pausing, draining and resuming a function: new runs held, a running run held at its next step,
 * both released by the resume's release pass; a cron tick's run skipped while paused.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cronScheduler } from "../src/core/objects.ts";
import { Stepwise, StepwiseRefusedError } from "../sdk/index.ts";
import { executions } from "./functions.ts";
import { client } from "./helpers.ts";

const post = async (path: string, body?: unknown) =>
  SELF.fetch(`http://stepwise${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const pause = (body?: unknown) => post("/v1/functions/test-pausable/pause", body);
const resume = () => post("/v1/functions/test-pausable/resume");

const historyTypes = async (runId: string): Promise<string[]> =>
  (
    (await (await SELF.fetch(`http://stepwise/v1/runs/${runId}/history?limit=200`)).json()) as {
      history: { type: string }[];
    }
  ).history.map((entry) => entry.type);

const pausedRunIds = async (): Promise<string[]> =>
  (
    (await (await SELF.fetch("http://stepwise/v1/runs?function=test-pausable&status=paused")).json()) as {
      runs: { id: string }[];
    }
  ).runs.map((run) => run.id);

describe("pausing a function", () => {
  it("holds new runs and a running run at its next step; resuming releases both", async () => {
    const running = await client.invoke("test-pausable", { key: "p-running" });
    await client.waitUntil(running, (run) => run.status === "sleeping");

    const paused = await pause({ reason: "bad deploy" });
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({
      functionId: "test-pausable",
      control: { mode: "paused", reason: "bad deploy" },
    });
    const listed = (await (await SELF.fetch("http://stepwise/v1/functions")).json()) as {
      functions: { id: string; control: unknown }[];
    };
    expect(listed.functions.find((fn) => fn.id === "test-pausable")?.control).toMatchObject({ mode: "paused" });
    expect(listed.functions.find((fn) => fn.id === "test-parallel")?.control).toBeNull();

    const fresh = await client.invoke("test-pausable", { key: "p-new" });
    const held = await client.waitUntil(fresh, (run) => run.status === "paused");
    expect(held.heldReason).toBe("its function is paused (bad deploy)");
    expect(executions("pausable:p-new:before")).toBe(0);

    // The sleeping run wakes, and holds before its next step.
    await client.skipTime(running);
    await client.waitUntil(running, (run) => run.status === "paused");
    expect(executions("pausable:p-running:after")).toBe(0);
    await expect.poll(pausedRunIds).toEqual(expect.arrayContaining([running, fresh]));

    const resumed = await resume();
    expect(await resumed.json()).toMatchObject({ functionId: "test-pausable", resumed: true });
    expect((await client.waitForEnd(running)).status).toBe("completed");
    expect(executions("pausable:p-running:after")).toBe(1);
    expect(await historyTypes(running)).toEqual(expect.arrayContaining(["run.held", "run.released"]));
    await client.waitUntil(fresh, (run) => run.status === "sleeping");
    expect(executions("pausable:p-new:before")).toBe(1);
    await client.skipTime(fresh);
    expect((await client.waitForEnd(fresh)).status).toBe("completed");

    expect(await (await resume()).json()).toEqual({ functionId: "test-pausable", resumed: false });
  });

  it("draining holds new runs but lets running ones finish", async () => {
    const running = await client.invoke("test-pausable", { key: "d-running" });
    await client.waitUntil(running, (run) => run.status === "sleeping");
    expect(await (await pause({ drain: true })).json()).toMatchObject({ control: { mode: "draining", reason: null } });

    const fresh = await client.invoke("test-pausable", { key: "d-new" });
    const held = await client.waitUntil(fresh, (run) => run.status === "paused");
    expect(held.heldReason).toBe("its function is draining: new runs wait");
    await client.skipTime(running);
    expect((await client.waitForEnd(running)).status).toBe("completed");
    expect((await client.getRun(fresh)).status).toBe("paused");

    await resume();
    await client.waitUntil(fresh, (run) => run.status === "sleeping");
    expect(executions("pausable:d-new:before")).toBe(1);
    await client.skipTime(fresh);
    expect((await client.waitForEnd(fresh)).status).toBe("completed");
  });

  it("skips a cron tick's run while paused, and runs the next tick once resumed", async () => {
    const scheduler = cronScheduler(env, { functionId: "test-pausable-cron", cron: "0 6 * * *" });
    await scheduler.ensure({ functionId: "test-pausable-cron", cron: "0 6 * * *" });
    expect((await post("/v1/functions/test-pausable-cron/pause")).status).toBe(200);
    const skipped = (await scheduler.skipToNextTick()).runId!;
    const ended = await client.waitForEnd(skipped);
    expect(ended.status).toBe("skipped");
    expect(ended.error?.message).toContain("its function is paused; a cron tick's run is not kept for later");

    await post("/v1/functions/test-pausable-cron/resume");
    const next = (await scheduler.skipToNextTick()).runId!;
    expect((await client.waitForEnd(next)).status).toBe("completed");
  });

  it("refuses an unknown function (404) and a malformed body (400, with the issues)", async () => {
    const unknown = await post("/v1/functions/no-such-fn/pause", {});
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "function_not_found" } });
    expect((await post("/v1/functions/no-such-fn/resume")).status).toBe(404);
    for (const body of [{ drain: "yes" }, { reason: "x".repeat(501) }, { mode: "paused" }]) {
      const refused = await pause(body);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await refused.json())).toContain("issues");
    }
    expect((await client.getRun(await client.invoke("test-parallel", { key: "not-paused", n: 1 }))).status).not.toBe(
      "paused",
    );
  });

  it("over the binding and the client: pause with drain, then resume; an unknown function is refused", async () => {
    const paused = await env.CALLER.call("pauseFunction", ["test-pausable", { drain: true, reason: "rpc" }]);
    expect(paused).toMatchObject({ ok: true, value: { functionId: "test-pausable", control: { mode: "draining" } } });
    expect(await env.CALLER.call("pauseFunction", ["no-such-fn"])).toMatchObject({
      ok: false,
      code: "function_not_found",
    });
    expect(await env.CALLER.call("pauseFunction", ["test-pausable", { drain: 1 }])).toMatchObject({
      ok: false,
      code: "invalid_request",
    });
    expect(await env.CALLER.call("resumeFunction", ["test-pausable"])).toMatchObject({
      ok: true,
      value: { resumed: true },
    });

    const overHttps = new Stepwise({
      id: "operator",
      baseUrl: "http://stepwise",
      apiKey: "unused-in-dev",
      fetch: (input, init) => SELF.fetch(input, init),
    });
    expect((await overHttps.pauseFunction("test-pausable")).control.mode).toBe("paused");
    const resumed = await overHttps.resumeFunction("test-pausable");
    expect(resumed.resumed).toBe(true);
    expect(resumed.jobId).toBeTypeOf("string");
    await expect(overHttps.pauseFunction("no-such-fn")).rejects.toBeInstanceOf(StepwiseRefusedError);
  });
});
