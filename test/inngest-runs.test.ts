/**
 * Functions of an app written with the official `inngest` SDK (test/fixtures/inngest-app.ts, a
 * Worker of its own served by `inngest/cloudflare`) running on Stepwise unchanged: onFailure
 * handlers through `inngest/function.failed`, the lifecycle events, `step.invoke` and its timeout,
 * `step.sendEvent` and `inngest.send` fan-out through `/e/:key`, and `cancelOn`. Side effects are
 * counted in the app and read back from it.
 */
import {
  createExecutionContext,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
  SELF,
  waitOnExecutionContext,
} from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Schedule } from "../durable-objects/schedule/cron-plan.ts";
import { cronScheduler } from "../src/core/objects.ts";
import { hashSigningKey } from "../src/core/inngest/signing.ts";
import { storedEvent } from "./event-shards.ts";
import { client } from "./helpers.ts";
import worker from "./worker.ts";
import { listRuns } from "../src/core/run-index/read.ts";

const counts = async (): Promise<Record<string, number>> =>
  (await (await env.INNGEST_APP.fetch("https://app.internal/counts")).json()) as Record<string, number>;
const counted = (name: string, times: number) =>
  expect.poll(async () => (await counts())[name] ?? 0, { timeout: 15_000, interval: 100 }).toBe(times);
/** `name` happened once: it reaches 1, and after a while to let any duplicate arrive, is still 1. */
async function countedOnce(name: string): Promise<void> {
  await counted(name, 1);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await counts())[name]).toBe(1);
}
const postEvents = (body: unknown, headers: Record<string, string> = {}) =>
  SELF.fetch("http://stepwise/e/any-key", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
/** The newest run of `functionId` in the run index, which is written a moment after the run: waits for its row. */
function newestRunOf(functionId: string): Promise<string> {
  return vi.waitFor(
    async () => {
      const [row] = (await listRuns(env, { functionId, limit: 1 })).items;
      if (!row) throw new Error(`no run of ${functionId} indexed yet`);
      return row.id;
    },
    { timeout: 10_000 },
  );
}

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
    await countedOnce(`onFailure:${key}`);
    expect((await counts())[`charge:${key}`]).toBe(1);
  });

  it("invokes a function for its result, and a child that outlives the invoke's timeout fails it as Inngest's", async () => {
    const parent = await client.waitForEnd(await runOf("fixture/parent", {}), { timeoutMs: 20_000 });
    expect(parent).toMatchObject({
      status: "completed",
      output: { result: 40, timedOut: "InngestInvokeTimeoutError" },
    });
    // The child's end was announced, once: a function triggered on inngest/function.finished saw it.
    await countedOnce("inngest/function.finished:4");
  });

  it("fans out with step.sendEvent and inngest.send (through /e/:key) to a wildcard trigger", async () => {
    const key = crypto.randomUUID();
    const run = await client.waitForEnd(await runOf("fixture/fanout", { key }));
    expect(run).toMatchObject({ status: "completed", output: { sent: 2, more: 1 } });
    await counted(`fanned:${key}`, 3);
  });

  it("waits for the event whose field matches (waitForEvent's match), not another", async () => {
    const key = crypto.randomUUID();
    const runId = await runOf("fixture/order", { key });
    await client.waitUntil(runId, (run) => run.status === "waiting");
    await client.send({ name: "fixture/confirmed", data: { key: "someone else", n: 1 } });
    await client.send({ name: "fixture/confirmed", data: { key, n: 2 } });
    expect(await client.waitForEnd(runId)).toMatchObject({ status: "completed", output: 2 });
  });

  it("cancels a run on its cancelOn event, and announces it with inngest/function.cancelled", async () => {
    const key = crypto.randomUUID();
    const runId = await runOf("fixture/long", { key });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    await client.send({ name: "fixture/stop", data: { key: "someone else" } });
    await client.send({ name: "fixture/stop", data: { key } });
    expect(await client.waitForEnd(runId)).toMatchObject({ status: "cancelled" });
    await countedOnce(`inngest/function.cancelled:${key}`);
  });
});

describe("what Stepwise gives its own functions, for an Inngest app's", () => {
  it("replays a failed run from its failed step once the bug is fixed, keeping the steps before it", async () => {
    const key = crypto.randomUUID();
    const failed = await client.waitForEnd(await runOf("fixture/fragile", { key }));
    expect(failed).toMatchObject({ status: "failed", error: { name: "NonRetriableError" } });
    await env.INNGEST_APP.fetch(`https://app.internal/fix?key=${key}`);
    const replay = await SELF.fetch(`http://stepwise/v1/runs/${failed.id}/replay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(replay.status).toBe(201);
    const { runId } = (await replay.json()) as { runId: string };
    expect(await client.waitForEnd(runId)).toMatchObject({ status: "completed", output: "ready and done" });
    expect((await counts())[`prepare:${key}`]).toBe(1);
  });

  it("shows the run on the dashboard with its steps, and the function as an Inngest app's", async () => {
    const run = await client.waitForEnd(await runOf("fixture/serial", {}));
    const page = await (await SELF.fetch(`http://stepwise/dashboard/runs/${run.id}`)).text();
    expect(page).toContain("inngest-fixture-serial");
    expect(page).toContain(">add<");
    expect(page).toContain("run.completed");
    const fn = await (await SELF.fetch("http://stepwise/dashboard/functions/inngest-fixture-serial")).text();
    expect(fn).toContain("Inngest app inngest-fixture");
  });
});

describe("an Inngest app's flow control and schedules on Stepwise", () => {
  it("holds a concurrency key to one run at a time", async () => {
    const key = crypto.randomUUID();
    const ids = await client.send([1, 2, 3].map(() => ({ name: "fixture/limited", data: { key } })));
    for (const id of ids) {
      const [runId] = await client.runsOf(id);
      expect(await client.waitForEnd(runId!)).toMatchObject({ status: "completed" });
    }
    const after = await counts();
    expect(after[`limited:${key}`]).toBe(3);
    expect(after[`limited:most:${key}`]).toBe(1);
  });

  it("debounces to the last event, batches events, and starts one run per idempotency key", async () => {
    const key = crypto.randomUUID();
    for (const text of ["h", "he", "hel"]) await client.send({ name: "fixture/typed", data: { key, text } });
    await counted(`debounced:${key}`, 1);
    const debounced = await newestRunOf("inngest-fixture-debounced");
    expect(await client.waitForEnd(debounced)).toMatchObject({ output: "hel" });

    const items = await client.send([1, 2, 3].map((n) => ({ name: "fixture/item", data: { n } })));
    const [batchRun] = await client.runsOf(items[0]!);
    expect(await client.waitForEnd(batchRun!)).toMatchObject({ status: "completed", output: [1, 2, 3] });

    const order = crypto.randomUUID();
    const charges = await client.send([0, 1].map(() => ({ name: "fixture/charge", data: { order } })));
    const [chargeRun] = await client.runsOf(charges[0]!);
    await client.waitForEnd(chargeRun!);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await counts())[`charged:${order}`]).toBe(1);
  });

  it("waits as long as a RetryAfterError says before the step's next attempt", async () => {
    const key = crypto.randomUUID();
    const run = await client.waitForEnd(await runOf("fixture/patient", { key }), { timeoutMs: 20_000 });
    expect(run).toMatchObject({ status: "completed", output: 1 });
    expect((await counts())[`patient:${key}`]).toBe(2);
    const history = (await (await SELF.fetch(`http://stepwise/v1/runs/${run.id}/history`)).json()) as {
      history: { type: string; at: string; retryAt?: number }[];
    };
    const retrying = history.history.find((entry) => entry.type === "step.retrying");
    expect(retrying!.retryAt! - Date.parse(retrying!.at)).toBeGreaterThanOrEqual(1_900);
  });

  it("cancels a run past its timeouts.finish, as Inngest does, rather than failing it", async () => {
    const runId = await runOf("fixture/overdue", {});
    const run = await client.waitForEnd(runId, { timeoutMs: 10_000 });
    expect(run).toMatchObject({ status: "cancelled" });
  });

  it("runs a cron function on its tick with inngest/scheduled.timer", async () => {
    const stub = cronScheduler(env, {
      functionId: "inngest-fixture-nightly",
      cron: "0 3 * * *",
      timezone: "Europe/Paris",
    });
    expect(await stub.describe()).not.toBeNull();
    // Its tick is due now, as if the night had come.
    const due = Date.now() - 1_000;
    await runInDurableObject(stub, async (_instance, state) => {
      const stored = (await state.storage.get<Schedule>("schedule"))!;
      await state.storage.put("schedule", { ...stored, nextTick: due });
      await state.storage.setAlarm(due);
    });
    await runDurableObjectAlarm(stub);
    const tick = await newestRunOf("inngest-fixture-nightly");
    expect(await client.waitForEnd(tick)).toMatchObject({
      status: "completed",
      output: { done: "inngest/scheduled.timer" },
    });
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
  it("refuses a checkpoint that belongs to no call under way (stale or forged), and one for an ended run", async () => {
    const runId = await runOf("fixture/long", { key: crypto.randomUUID() });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    const forged = { fn_id: "inngest-fixture-cancellable", qi_id: crypto.randomUUID(), steps: [stepRun("extra", 1)] };
    const refused = await checkpoint(runId, forged);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ status: 409, error: expect.stringContaining("no longer under way") });
    expect((await client.getRun(runId)).steps.map((step) => step.name)).toEqual(["long"]);
    await SELF.fetch(`http://stepwise/v1/runs/${runId}/cancel`, { method: "POST" });
    const late = await checkpoint(runId, forged);
    expect(await late.json()).toMatchObject({ status: 409, error: expect.stringContaining("ended (cancelled)") });
    expect((await checkpoint("01NOSUCHRUN0000000000000000", forged)).status).toBe(404);
  });

  it("takes only a Bearer token proving the signing key, in cloud mode, and refuses a malformed body", async () => {
    const KEY = "signkey-test-0123456789abcdef0123456789abcdef";
    const cloud = { INNGEST_SIGNING_KEY: KEY, STEPWISE_ENV: "production" };
    const runId = await runOf("fixture/long", { key: crypto.randomUUID() });
    const body = { fn_id: "inngest-fixture-cancellable", qi_id: "q", steps: [stepRun("signed", 1)] };
    const unsigned = await checkpoint(runId, body, cloud);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ status: 401 });
    // Past the token, the call's id still decides: this one names no call under way.
    expect((await checkpoint(runId, body, cloud, `Bearer ${await hashSigningKey(KEY)}`)).status).toBe(409);
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
    const stored = await Promise.all(first.ids.map((id) => storedEvent(id)));
    expect(stored.map((event) => event?.id)).toEqual(first.ids);
  });

  it("refuses in the shape the SDK reads: ids, status and the message", async () => {
    const response = await postEvents({ data: {} });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { ids: string[]; status: number; error: string };
    expect(body).toMatchObject({ ids: [], status: 400 });
    expect(body.error).toContain("at [0].name");
  });
});
