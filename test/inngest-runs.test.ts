/**
 * Functions of an app written with the official `inngest` SDK (test/fixtures/inngest-app.ts, a
 * Worker of its own served by `inngest/cloudflare`) running on Stepwise unchanged: onFailure
 * handlers through `inngest/function.failed`, the lifecycle events, `step.invoke` and its timeout,
 * `step.sendEvent` and `inngest.send` fan-out through `/e/:key`, and `cancelOn`. Side effects are
 * counted in the app and read back from it.
 */
import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { client } from "./helpers.ts";

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
});

describe("an Inngest app's functions on Stepwise", () => {
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
