/**
 * Functions of an app written with the official `inngest` SDK (test/fixtures/inngest-app.ts, a
 * Worker of its own served by `inngest/cloudflare`) running on Stepwise unchanged: onFailure
 * handlers through `inngest/function.failed`, the lifecycle events, `step.invoke` and its timeout,
 * `step.sendEvent` and `inngest.send` fan-out through `/e/:key`, and `cancelOn`. Side effects are
 * counted in the app and read back from it.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { hashSigningKey } from "../src/core/inngest/signing.ts";
import { client } from "./helpers.ts";
import worker from "./worker.ts";

const counts = async (): Promise<Record<string, number>> =>
  (await (await env.INNGEST_APP.fetch("https://app.internal/counts")).json()) as Record<string, number>;
const counted = (name: string, times: number) =>
  expect.poll(async () => (await counts())[name] ?? 0, { timeout: 15_000, interval: 100 }).toBe(times);
const postEvents = (body: unknown, headers: Record<string, string> = {}) =>
  SELF.fetch("http://stepwise/e/any-key", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
/** The one run `name` with `data` started. */
async function runOf(name: string, data: Record<string, unknown>): Promise<string> {
  const [eventId] = await client.send({ name, data });
  const [runId] = await client.runsOf(eventId!);
  return runId!;
}

beforeAll(async () => {
  const synced = await SELF.fetch("http://stepwise/v1/apps", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ binding: "INNGEST_APP", path: "/api/inngest", protocol: "inngest" }),
  });
  expect(synced.status).toBe(201);
  // Then the app's own sync, as its deploy would: it proves the app reaches Stepwise, so its SDK
  // checkpoints (runs step after step in one call, reporting each to /v1/checkpoint).
  const own = await env.INNGEST_APP.fetch("https://app.internal/api/inngest", {
    method: "PUT",
    headers: { host: "app.internal" },
  });
  expect(own.status).toBe(200);
  const { apps } = (await (await SELF.fetch("http://stepwise/v1/apps")).json()) as { apps: { id: string }[] };
  expect(apps.find((app) => app.id === "inngest-fixture")).toMatchObject({
    target: { binding: "INNGEST_APP", protocol: "inngest", checkpoint: true },
  });
});

describe("an Inngest app's functions on Stepwise", () => {
  it("lets the SDK checkpoint: five steps in one call, each recorded as it ran, none run twice", async () => {
    const before = await counts();
    const run = await client.waitForEnd(await runOf("fixture/serial", {}));
    expect(run).toMatchObject({ status: "completed", output: 15 });
    expect(run.steps.map((step) => [step.name, step.status])).toEqual([
      ["add", "completed"],
      ["add", "completed"],
      ["add", "completed"],
      ["add", "completed"],
      ["add", "completed"],
    ]);
    const after = await counts();
    expect((after["serial:add"] ?? 0) - (before["serial:add"] ?? 0)).toBe(5);
    expect((after["call:inngest-fixture-serial"] ?? 0) - (before["call:inngest-fixture-serial"] ?? 0)).toBe(1);
  });

  it("runs onFailure once after a NonRetriableError, started by inngest/function.failed", async () => {
    const key = crypto.randomUUID();
    const failed = await client.waitForEnd(await runOf("fixture/doomed", { key }));
    expect(failed).toMatchObject({ status: "failed", error: { name: "NonRetriableError", message: "card declined" } });
    await counted(`onFailure:${key}`, 1);
    expect((await counts())[`charge:${key}`]).toBe(1);
  });

  it("invokes a function for its result, and a child that outlives the invoke's timeout fails it as Inngest's", async () => {
    const parent = await client.waitForEnd(await runOf("fixture/parent", {}), { timeoutMs: 20_000 });
    expect(parent).toMatchObject({
      status: "completed",
      output: { result: 40, timedOut: "InngestInvokeTimeoutError" },
    });
    // The child's end was announced: a function triggered on inngest/function.finished saw it.
    expect((await counts())["inngest/function.finished:4"]).toBeGreaterThanOrEqual(1);
  });

  it("fans out with step.sendEvent and inngest.send (through /e/:key) to a wildcard trigger", async () => {
    const key = crypto.randomUUID();
    const run = await client.waitForEnd(await runOf("fixture/fanout", { key }));
    expect(run).toMatchObject({ status: "completed", output: { sent: 2, more: 1 } });
    await counted(`fanned:${key}`, 3);
  });

  it("cancels a run on its cancelOn event, and announces it with inngest/function.cancelled", async () => {
    const key = crypto.randomUUID();
    const runId = await runOf("fixture/long", { key });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    await client.send({ name: "fixture/stop", data: { key: "someone else" } });
    await client.send({ name: "fixture/stop", data: { key } });
    expect(await client.waitForEnd(runId)).toMatchObject({ status: "cancelled" });
    await counted(`inngest/function.cancelled:${key}`, 1);
  });
});

/** POST /v1/checkpoint/:runId/async as the SDK sends it, to a Stepwise with `vars` changed. */
async function checkpoint(runId: string, body: unknown, vars: Partial<typeof env> = {}, authorization = "Bearer ") {
  const ctx = createExecutionContext();
  const request = new Request(`http://stepwise/v1/checkpoint/${runId}/async`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: JSON.stringify(body),
  }) as Request<unknown, IncomingRequestCfProperties>;
  const response = await worker.fetch(request, { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}
const stepRun = (id: string, data: unknown) => ({ op: "StepRun", id, displayName: id, data });

describe("Inngest's checkpoint API", () => {
  it("records checkpointed steps of a live run, once each, and answers 409 once the run has ended", async () => {
    const runId = await runOf("fixture/long", { key: crypto.randomUUID() });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    const body = {
      run_id: runId,
      steps: [stepRun("extra-a", 1), { op: "StepPlanned", id: "p" }, stepRun("extra-b", 2)],
    };
    expect((await checkpoint(runId, body)).status).toBe(200);
    expect((await checkpoint(runId, body)).status).toBe(200);
    const run = await client.getRun(runId);
    expect(run.steps.filter((step) => String(step.name).startsWith("extra-")).map((step) => step.status)).toEqual([
      "completed",
      "completed",
    ]);
    const cancelled = await SELF.fetch(`http://stepwise/v1/runs/${runId}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe(200);
    expect((await checkpoint(runId, { steps: [stepRun("late", 3)] })).status).toBe(409);
    expect((await checkpoint("01NOSUCHRUN0000000000000000", { steps: [stepRun("x", 1)] })).status).toBe(404);
  });

  it("takes only a Bearer token proving the signing key, in cloud mode, and refuses a malformed body", async () => {
    const KEY = "signkey-test-0123456789abcdef0123456789abcdef";
    const cloud = { INNGEST_SIGNING_KEY: KEY, STEPWISE_ENV: "production" };
    const runId = await runOf("fixture/long", { key: crypto.randomUUID() });
    const body = { steps: [stepRun("signed", 1)] };
    expect((await checkpoint(runId, body, cloud)).status).toBe(401);
    expect((await checkpoint(runId, body, cloud, `Bearer ${await hashSigningKey(KEY)}`)).status).toBe(200);
    const bad = await checkpoint(runId, { steps: "none" });
    expect(bad.status).toBe(400);
  });
});

describe("Inngest's event API", () => {
  it("names events by the SDK's id seed, so a retried send is recorded once", async () => {
    const seed = `${Date.now()},${btoa("0123456789")}`;
    const events = [
      { name: "seeded/one", data: {} },
      { name: "seeded/two", data: {} },
    ];
    const first = (await (await postEvents(events, { "x-inngest-event-id-seed": seed })).json()) as { ids: string[] };
    const again = (await (await postEvents(events, { "x-inngest-event-id-seed": seed })).json()) as { ids: string[] };
    expect(again).toEqual({ ids: first.ids, status: 200 });
    expect(new Set(first.ids).size).toBe(2);
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE id IN (?1, ?2)")
      .bind(first.ids[0], first.ids[1])
      .first<{ n: number }>();
    expect(stored?.n).toBe(2);
  });

  it("refuses in the shape the SDK reads: ids, status and the message", async () => {
    const response = await postEvents({ data: {} });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { ids: string[]; status: number; error: string };
    expect(body).toMatchObject({ ids: [], status: 400 });
    expect(body.error).toContain("at [0].name");
  });
});
