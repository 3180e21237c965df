import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, sendEvents } from "./helpers.ts";

const post = async (path: string, body: unknown) =>
  SELF.fetch(`http://stepwise${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const startAtOf = async (runId: string): Promise<number> => Date.parse(String((await client.getRun(runId)).startAt));

describe("delayed runs", () => {
  it("an invoke with a delay waits as scheduled, can be moved, and starts when told to; a started run is not moved", async () => {
    const before = Date.now();
    const response = await post("/v1/functions/test-parallel/invoke", { data: { key: "later", n: 1 }, delay: "1h" });
    expect(response.status).toBe(201);
    const { runId } = (await response.json()) as { runId: string };
    const scheduled = await client.waitUntil(runId, (run) => run.status === "scheduled");
    expect(scheduled.steps).toEqual([]);
    expect(await startAtOf(runId)).toBeGreaterThanOrEqual(before + 3_600_000);
    await expect
      .poll(async () =>
        (
          (await (await SELF.fetch("http://stepwise/v1/runs?status=scheduled")).json()) as { runs: { id: string }[] }
        ).runs.map((r) => r.id),
      )
      .toContain(runId);

    const runAt = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const moved = await post(`/v1/runs/${runId}/reschedule`, { runAt });
    expect(await moved.json()).toEqual({ runId, startAt: runAt });
    expect((await client.getRun(runId)).status).toBe("scheduled");

    // Neither delay nor runAt: now.
    expect((await post(`/v1/runs/${runId}/reschedule`, {})).status).toBe(200);
    expect((await client.waitForEnd(runId)).status).toBe("completed");
    const late = await post(`/v1/runs/${runId}/reschedule`, { delay: "1h" });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: "run_started" } });
  });

  it("a scheduled run cancelled before its time never runs", async () => {
    const { runId } = (await (
      await post("/v1/functions/test-parallel/invoke", { data: { key: "never", n: 1 }, delay: "1d" })
    ).json()) as {
      runId: string;
    };
    await client.waitUntil(runId, (run) => run.status === "scheduled");
    expect(await (await post(`/v1/runs/${runId}/cancel`, {})).json()).toMatchObject({ cancelled: true });
    const ended = await client.waitForEnd(runId);
    expect(ended.status).toBe("cancelled");
    expect(ended.steps).toEqual([]);
  });

  it("refuses a malformed delay, both delay and runAt, and a time over a year ahead, with a clear error", async () => {
    const refused = async (body: Record<string, unknown>) => {
      const response = await post("/v1/functions/test-parallel/invoke", { data: {}, ...body });
      return [response.status, JSON.stringify(await response.json())] as const;
    };
    const [status, text] = await refused({ delay: "soon" });
    expect(status).toBe(400);
    expect(text).toContain("soon");
    expect((await refused({ delay: "1h", runAt: Date.now() + 1000 }))[1]).toContain("not both");
    expect((await refused({ runAt: Date.now() + 400 * 86_400_000 }))[1]).toContain("at most a year ahead");
    expect((await refused({ runAt: "tomorrow" }))[0]).toBe(400);
  });

  it("over the binding: invoke with a delay, then reschedule to now", async () => {
    const invoked = (await env.CALLER.call("invoke", ["test-parallel", { key: "rpc", n: 1 }, { delay: "10m" }])) as {
      value: { runId: string };
    };
    const runId = invoked.value.runId;
    await client.waitUntil(runId, (run) => run.status === "scheduled");
    expect(await env.CALLER.call("reschedule", [runId, {}])).toMatchObject({ ok: true, value: { runId } });
    expect((await client.waitForEnd(runId)).status).toBe("completed");
    expect(await env.CALLER.call("reschedule", [runId, { delay: "1h" }])).toMatchObject({
      ok: false,
      code: "run_started",
      status: 409,
    });
    expect(await env.CALLER.call("reschedule", [runId, { delay: "1h", runAt: 5 }])).toMatchObject({
      ok: false,
      status: 400,
    });
  });

  it("an event timed in the future starts its runs at that time, as on Inngest", async () => {
    const ts = Date.now() + 3_600_000;
    const [eventId = ""] = await sendEvents({ name: "test/tag-relay", data: { key: crypto.randomUUID() }, ts });
    const [runId = ""] = await client.runsOf(eventId);
    await client.waitUntil(runId, (run) => run.status === "scheduled");
    expect(await startAtOf(runId)).toBe(ts);
    expect((await post(`/v1/runs/${runId}/cancel`, {})).status).toBe(200);
  });

  it("an event sent with a delay starts its runs that much later; delay with ts, or a bad delay, is a 400", async () => {
    const before = Date.now();
    const [eventId = ""] = await sendEvents({
      name: "test/tag-relay",
      data: { key: crypto.randomUUID() },
      delay: "2h",
    });
    const [runId = ""] = await client.runsOf(eventId);
    await client.waitUntil(runId, (run) => run.status === "scheduled");
    const startAt = await startAtOf(runId);
    expect(startAt).toBeGreaterThanOrEqual(before + 2 * 3_600_000);
    expect(startAt).toBeLessThan(Date.now() + 2 * 3_600_000 + 1);
    expect((await post(`/v1/runs/${runId}/cancel`, {})).status).toBe(200);

    for (const [body, says] of [
      [{ name: "test/tag-relay", delay: "1h", ts: Date.now() }, "not both"],
      [{ name: "test/tag-relay", delay: "whenever" }, "whenever"],
      [{ name: "test/tag-relay", delay: "400 days" }, "at most a year"],
    ] as const) {
      const refused = await post("/v1/events", body);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await refused.json())).toContain(says);
    }
  });

  it("the dashboard shows when a scheduled run starts, and starts it now", async () => {
    const { runId } = (await (
      await post("/v1/functions/test-parallel/invoke", { data: { key: "dash", n: 1 }, delay: "1h" })
    ).json()) as {
      runId: string;
    };
    await client.waitUntil(runId, (run) => run.status === "scheduled");
    const page = await (await SELF.fetch(`http://stepwise/dashboard/runs/${runId}`)).text();
    expect(page).toContain("<dt>Starts</dt>");
    expect(page).toContain("Start now");
    const form = await SELF.fetch(`http://stepwise/dashboard/runs/${runId}/start-now`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://stepwise" },
    });
    expect(form.status).toBe(303);
    expect(form.headers.get("location")).toContain("done=started-now");
    expect((await client.waitForEnd(runId)).status).toBe("completed");
  });
});
