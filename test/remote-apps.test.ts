import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sign, SIGNATURE_HEADER } from "../sdk/signing.ts";
import { client, runFor, sendEvents } from "./helpers.ts";

const SIGNING_KEY = "test-signing-key-0123456789";
const api = (path: string, body?: unknown) =>
  SELF.fetch(
    `http://stepwise${path}`,
    body === undefined
      ? {}
      : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
  );
const runOf = async (name: string, data: Record<string, unknown>) => runFor((await sendEvents({ name, data }))[0]!);
const history = async (runId: string) =>
  (
    (await (await api(`/v1/runs/${runId}/history`)).json()) as {
      history: { type: string; error?: { message: string } }[];
    }
  ).history;

beforeAll(async () => {
  const response = await api("/v1/apps", { binding: "REMOTE_APP", path: "/api/stepwise" });
  expect(response.status).toBe(201);
});

describe("functions served by another Worker through a service binding", () => {
  it("registers the app with its functions, validated, and lists them beside embedded ones", async () => {
    const { apps } = (await (await api("/v1/apps")).json()) as {
      apps: { id: string; target: unknown; functions: string[] }[];
    };
    const app = apps.find((entry) => entry.id === "remote-app");
    expect(app?.target).toEqual({ binding: "REMOTE_APP", path: "/api/stepwise" });
    expect(app?.functions).toEqual(
      expect.arrayContaining(["remote-parallel", "remote-sleeper", "remote-doomed", "remote-doomed.on-failure"]),
    );
    const { functions } = (await (await api("/v1/functions")).json()) as {
      functions: { id: string; runsIn: unknown }[];
    };
    expect(functions.find((fn) => fn.id === "remote-parallel")?.runsIn).toEqual({
      kind: "binding",
      binding: "REMOTE_APP",
      path: "/api/stepwise",
    });
    expect(functions.find((fn) => fn.id === "onboard-user")?.runsIn).toEqual({ kind: "embedded" });
  });

  it("runs parallel steps, each called back once", async () => {
    const run = await client.waitUntil(await runOf("remote/parallel", { n: 4 }), (r) => r.status === "completed");
    expect(run.output).toBe(12);
    expect(run.steps.map((step) => step.id).sort()).toEqual(["part-0", "part-1", "part-2", "part-3", "sum"]);
    // A remote function's version is its app's deployment: the app, and when it last synced.
    expect(run.version).toMatch(/^.+@\d{4}-\d\d-\d\dT[\d:.]+Z$/);
  });

  it("runs a fan-out in batches of planned steps, each call carrying only the memo its replay needs", async () => {
    const runId = await runOf("remote/parallel", { n: 60 });
    const run = await client.waitUntil(runId, (r) => r.status === "completed");
    expect(run.output).toBe(3_540);
    const calls = (await (await env.REMOTE_APP.fetch(`http://app/probe/calls?runId=${runId}`)).json()) as {
      bytes: number;
      memo: number;
      runSteps: number;
    }[];
    const batches = calls.filter((call) => call.runSteps > 0);
    // 60 steps, 25 a call: three batch calls instead of sixty, none resending outcomes of its siblings.
    expect(batches.map((call) => call.runSteps).sort()).toEqual([10, 25, 25]);
    expect(batches.every((call) => call.memo === 0)).toBe(true);
    // Finding the steps, the three batches, and the replay that goes on to "sum" and returns.
    expect(calls.length).toBeLessThanOrEqual(6);
  });

  it("sleeps between steps and resumes in the app", async () => {
    const runId = await runOf("remote/sleep", { key: "k1" });
    await client.waitUntil(runId, (r) => r.status === "sleeping");
    await client.skipTime(runId);
    expect((await client.waitUntil(runId, (r) => r.status === "completed")).output).toBe("slept k1, woke");
  });

  it("waits for an event, and invokes an embedded function across apps", async () => {
    const waiting = await runOf("remote/wait", { key: "w1" });
    await client.waitUntil(waiting, (r) => r.status === "waiting");
    await sendEvents({ name: "remote/approved", data: { key: "w1", by: "ada" } });
    expect((await client.waitUntil(waiting, (r) => r.status === "completed")).output).toBe("approved by ada");
    const invoker = await runOf("remote/invoke", { key: "i1" });
    expect((await client.waitUntil(invoker, (r) => r.status === "completed")).output).toEqual({ childTotal: 30 });
  });

  it("retries a failed step by the function's policy, and runs onFailure in the app", async () => {
    const flaky = await runOf("remote/flaky", { key: crypto.randomUUID() });
    expect((await client.waitUntil(flaky, (r) => r.status === "completed")).output).toBe(2);
    expect((await history(flaky)).find((entry) => entry.type === "step.retrying")?.error?.message).toBe(
      "first attempt fails",
    );
    const doomed = await runOf("remote/doomed", { key: "d1" });
    const failed = await client.waitUntil(doomed, (r) => r.status === "failed");
    expect(failed.error?.message).toContain("card declined");
    await expect.poll(async () => (await client.getRun(doomed)).failureRunId).toBeDefined();
    const handler = await client.waitUntil(
      (await client.getRun(doomed)).failureRunId!,
      (r) => r.status === "completed",
    );
    expect(handler.output).toMatch(/^handled: .*card declined/);
  });

  it("the app registers itself on PUT, through its binding to Stepwise", async () => {
    const response = await env.REMOTE_APP.fetch("https://remote-app.example/api/stepwise", { method: "PUT" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      app: { id: "remote-app", target: { binding: "REMOTE_APP", path: "/api/stepwise" } },
    });
  });

  it("the app refuses unsigned, wrongly signed and stale calls with 401", async () => {
    const body = JSON.stringify({ hello: "world" });
    const post = (headers: Record<string, string>) =>
      env.REMOTE_APP.fetch("https://remote-app.example/api/stepwise", { method: "POST", headers, body });
    expect((await post({})).status).toBe(401);
    expect(
      (await post({ [SIGNATURE_HEADER]: await sign(body, "not-the-key-0123456789", Date.now(), { request: "POST" }) }))
        .status,
    ).toBe(401);
    const stale = await post({
      [SIGNATURE_HEADER]: await sign(body, SIGNING_KEY, Date.now() - 6 * 60_000, { request: "POST" }),
    });
    expect(stale.status).toBe(401);
    expect(await stale.text()).toContain("stale");
    expect(
      (await post({ [SIGNATURE_HEADER]: await sign(body, SIGNING_KEY, Date.now(), { request: "POST" }) })).status,
    ).toBe(400);
    // Signed for another method: refused.
    expect(
      (await post({ [SIGNATURE_HEADER]: await sign(body, SIGNING_KEY, Date.now(), { request: "GET" }) })).status,
    ).toBe(401);
  });

  it("accepts an app's signed sync once: the same request sent again is refused as a replay", async () => {
    const body = JSON.stringify({ binding: "REMOTE_APP", path: "/api/stepwise" });
    const headers = {
      "content-type": "application/json",
      [SIGNATURE_HEADER]: await sign(body, SIGNING_KEY, Date.now(), { request: "POST" }),
    };
    const first = await SELF.fetch("http://stepwise/v1/apps/sync", { method: "POST", headers, body });
    expect(first.status).toBe(201);
    const replayed = await SELF.fetch("http://stepwise/v1/apps/sync", { method: "POST", headers, body });
    expect(replayed.status).toBe(401);
    expect(await replayed.text()).toContain("already received");
  });

  it("refuses apps it cannot reach or name, with the reason", async () => {
    const unknown = await api("/v1/apps", { binding: "NO_SUCH_APP" });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("no service binding");
    expect((await api("/v1/apps", { url: "ftp://example.com/" })).status).toBe(400);
    const unreachable = await api("/v1/apps", { url: "http://127.0.0.1:9/api/stepwise" });
    expect(unreachable.status).toBe(502);
    expect(((await unreachable.json()) as { error: { code: string } }).error.code).toBe("app_unreachable");
    const unsignedSync = await api("/v1/apps/sync", { binding: "REMOTE_APP" });
    expect(unsignedSync.status).toBe(401);
    const wrongPath = await api("/v1/apps", { binding: "REMOTE_APP", path: "/nothing-here" });
    expect(wrongPath.status).toBe(502);
  });

  it("a run of a function the app no longer has fails with a clear message", async () => {
    await env.DB.prepare(
      "INSERT INTO functions (id, app_id, name, triggers, config, updated_at) VALUES ('remote-gone', 'remote-app', 'remote-gone', '[]', ?1, 0)",
    )
      .bind(JSON.stringify({ id: "remote-gone", retries: 3, backoff: { initial: "1s", coefficient: 2, max: "10m" } }))
      .run();
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const run = await client.run("remote-gone", {});
    expect(run.status).toBe("failed");
    expect(run.error?.message).toContain('App "remote-app" no longer has function "remote-gone"');
  });
});

describe("an app calling Stepwise over its typed binding", () => {
  const probe = async (path: string, body?: unknown) =>
    (
      await env.REMOTE_APP.fetch(
        `https://remote-app.example${path}`,
        body === undefined ? {} : { method: "POST", body: JSON.stringify(body) },
      )
    ).json();

  it("gets refusals back as typed errors with the HTTP API's code and status", async () => {
    expect(await probe("/probe/send", [{ data: {} }])).toMatchObject({
      error: {
        sendEventsError: true,
        code: "invalid_request",
        status: 400,
        message: expect.stringMatching(/^Invalid events.*name/s),
      },
    });
    expect(await probe("/probe/send", { name: "big", user: { blob: "x".repeat(600 * 1024) } })).toMatchObject({
      error: { sendEventsError: true, code: "event_too_large", status: 413 },
    });
    expect(await probe("/probe/invoke", { functionId: "no-such-function", data: {} })).toMatchObject({
      error: {
        refusedError: true,
        code: "function_not_found",
        status: 404,
        message: 'No function "no-such-function" is registered',
      },
    });
  });

  it("sends and lists runs in the HTTP API's shapes (ISO times)", async () => {
    const sent = (await probe("/probe/send", { name: "test/fanout", data: { key: crypto.randomUUID() } })) as {
      value: { ids: string[] };
    };
    expect(sent.value.ids).toHaveLength(1);
    const { runId } = (await (
      await api("/v1/functions/test-parallel/invoke", { data: { key: crypto.randomUUID(), n: 1 } })
    ).json()) as { runId: string };
    await client.waitForEnd(runId);
    await expect
      .poll(
        async () =>
          (
            (await probe("/probe/runs?functionId=test-parallel")) as { runs: { id: string; createdAt: unknown }[] }
          ).runs.find((run) => run.id === runId)?.createdAt,
      )
      .toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
