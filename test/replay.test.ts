import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { broken } from "./event-functions.ts";
import { client } from "./helpers.ts";
import { executions } from "./functions.ts";
import { indexedRuns } from "./indexed.ts";

const post = (path: string, body?: unknown) =>
  SELF.fetch(`http://stepwise${path}`, {
    method: "POST",
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });

async function failedRun(k: string): Promise<string> {
  broken.add(k);
  const { ids } = (await (await post("/v1/events", { name: "test/replayable", data: { key: k } })).json()) as {
    ids: string[];
  };
  let runId: string | undefined;
  await expect
    .poll(async () => {
      runId = ((await (await SELF.fetch(`http://stepwise/v1/events/${ids[0]}`)).json()) as { runs: { id: string }[] })
        .runs[0]?.id;
      return runId;
    })
    .toBeDefined();
  expect((await client.waitForEnd(runId!)).status).toBe("failed");
  return runId!;
}

describe("replay", () => {
  it("re-runs from the failed step: earlier steps are kept, the failed and later ones run", async () => {
    const k = crypto.randomUUID();
    const failed = await failedRun(k);
    broken.delete(k);
    const response = await post(`/v1/runs/${failed}/replay`, {});
    expect(response.status).toBe(201);
    const { runId, replayOf } = (await response.json()) as { runId: string; replayOf: string };
    expect(replayOf).toBe(failed);
    const run = await client.waitForEnd(runId);
    expect(run.status).toBe("completed");
    expect(run).toMatchObject({ replayOf: failed, output: { a: 1 } });
    expect(["a", "b", "c", "d"].map((s) => executions(`replay-${s}:${k}`))).toEqual([1, 1, 2, 1]);
  });

  it("fromStart re-runs every step", async () => {
    const k = crypto.randomUUID();
    const failed = await failedRun(k);
    broken.delete(k);
    const { runId } = (await (await post(`/v1/runs/${failed}/replay`, { fromStart: true })).json()) as {
      runId: string;
    };
    expect((await client.waitForEnd(runId)).output).toEqual({ a: 2 });
    expect(["a", "b", "c", "d"].map((s) => executions(`replay-${s}:${k}`))).toEqual([2, 2, 2, 1]);
  });

  it("refuses a run that did not fail or get cancelled, and an unknown run", async () => {
    const k = crypto.randomUUID();
    const failed = await failedRun(k);
    broken.delete(k);
    const { runId } = (await (await post(`/v1/runs/${failed}/replay`, {})).json()) as { runId: string };
    await client.waitForEnd(runId);
    const again = await post(`/v1/runs/${runId}/replay`, {});
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      error: { code: "not_replayable", message: expect.stringContaining("is completed") },
    });
    expect((await post("/v1/runs/01JNOTAREALRUN0000000000/replay", {})).status).toBe(404);
    expect((await post(`/v1/runs/${failed}/replay`, { fromStart: "yes" })).status).toBe(400);
  });
});

describe("replay from a step, and with edited data", () => {
  it("fromStep runs that step and what follows again, keeping the steps before it, even for a completed run", async () => {
    const k = crypto.randomUUID();
    const failed = await failedRun(k);
    broken.delete(k);
    const { runId: fixed } = (await (await post(`/v1/runs/${failed}/replay`, {})).json()) as { runId: string };
    expect((await client.waitForEnd(fixed)).status).toBe("completed");

    const restarted = await post(`/v1/runs/${fixed}/replay`, { fromStep: "b" });
    expect(restarted.status).toBe(201);
    const { runId } = (await restarted.json()) as { runId: string };
    expect(await client.waitForEnd(runId)).toMatchObject({ status: "completed", replayOf: fixed, output: { a: 1 } });
    expect(["a", "b", "c", "d"].map((s) => executions(`replay-${s}:${k}`))).toEqual([1, 2, 3, 2]);

    const unknown = await post(`/v1/runs/${fixed}/replay`, { fromStep: "nope" });
    expect(unknown.status).toBe(409);
    expect(await unknown.json()).toMatchObject({ error: { message: expect.stringContaining('has no step "nope"') } });
    const both = await post(`/v1/runs/${fixed}/replay`, { fromStep: "b", fromStart: true });
    expect(both.status).toBe(400);
    expect(JSON.stringify(await both.json())).toContain("not both");
  });

  it("with new data every step runs again on it; data that is not an object is refused", async () => {
    const k = crypto.randomUUID();
    const failed = await failedRun(k);
    const k2 = crypto.randomUUID();
    const { runId } = (await (await post(`/v1/runs/${failed}/replay`, { data: { key: k2 } })).json()) as {
      runId: string;
    };
    const run = await client.waitForEnd(runId);
    expect(run).toMatchObject({ status: "completed", output: { a: 1 } });
    expect((run.events as { data: unknown }[])[0]?.data).toEqual({ key: k2 });
    expect(["a", "b", "c", "d"].map((s) => executions(`replay-${s}:${k2}`))).toEqual([1, 1, 1, 1]);
    expect((await post(`/v1/runs/${failed}/replay`, { data: [1] })).status).toBe(400);
  });

  it("over the binding, and from the dashboard's step and data forms", async () => {
    const k = crypto.randomUUID();
    const failed = await failedRun(k);
    broken.delete(k);
    const answer = (await env.CALLER.call("replay", [failed, { fromStep: "c" }])) as {
      ok: boolean;
      value: { runId: string; replayOf: string };
    };
    expect(answer).toMatchObject({ ok: true, value: { replayOf: failed } });
    const completed = answer.value.runId;
    expect((await client.waitForEnd(completed)).status).toBe("completed");
    expect(await env.CALLER.call("replay", [completed, {}])).toMatchObject({ ok: false, code: "not_replayable" });
    expect(await env.CALLER.call("replay", ["01JNOTAREALRUN0000000000", {}])).toMatchObject({
      ok: false,
      code: "run_not_found",
    });

    const page = await (await SELF.fetch(`http://stepwise/dashboard/runs/${completed}`)).text();
    expect(page).toContain("Replay from this step");
    expect(page).toContain("Replay with edited data");
    const form = (fields: Record<string, string>) =>
      SELF.fetch(`http://stepwise/dashboard/runs/${completed}/replay`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://stepwise" },
        body: new URLSearchParams(fields).toString(),
      });
    const fromStep = await form({ fromStep: "d" });
    expect(fromStep.status).toBe(303);
    expect(fromStep.headers.get("location")).toContain("done=replayed-from-step");
    const withData = await form({ data: JSON.stringify({ key: crypto.randomUUID() }) });
    expect(withData.headers.get("location")).toContain("done=replayed-with-data");
    expect((await form({ data: "{oops" })).status).toBe(400);
  });
});

describe("bulk actions", () => {
  it("replays a function's failed runs in a time range, paced, through a job that reports progress", async () => {
    const from = Date.now();
    const keys = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const failed = await Promise.all(keys.map((k) => failedRun(k)));
    for (const k of keys) broken.delete(k);
    const indexed = async () => (await indexedRuns({ functionId: "replayable", status: "failed", after: from })).length;
    await expect.poll(indexed).toBe(3);
    const response = await post("/v1/bulk/replay", { function: "replayable", from: new Date(from).toISOString() });
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    let progress: { done: boolean; matched: number; acted: number; newRunIds: string[] } | undefined;
    await expect
      .poll(async () => {
        progress = (await (await SELF.fetch(`http://stepwise/v1/bulk/${jobId}`)).json()) as typeof progress;
        return progress?.done;
      })
      .toBe(true);
    expect(progress).toMatchObject({ matched: 3, acted: 3 });
    const replays = await Promise.all(progress!.newRunIds.map((id) => client.waitForEnd(id)));
    expect(replays.map((run) => run.status)).toEqual(["completed", "completed", "completed"]);
    expect(new Set(replays.map((run) => (run as { replayOf?: string }).replayOf))).toEqual(new Set(failed));
  });

  it("cancels a function's runs in a time range", async () => {
    const from = Date.now();
    const ids = await Promise.all(
      [1, 2].map(
        async () =>
          (
            (await (
              await post("/v1/functions/onboard-user/invoke", {
                data: { userId: crypto.randomUUID(), email: "b@example.com" },
              })
            ).json()) as { runId: string }
          ).runId,
      ),
    );
    for (const id of ids) await client.waitUntil(id, (run) => run.status === "sleeping");
    await expect
      .poll(async () => (await indexedRuns({ functionId: "onboard-user", status: "sleeping", after: from })).length)
      .toBe(2);
    const { jobId } = (await (await post("/v1/bulk/cancel", { function: "onboard-user", from })).json()) as {
      jobId: string;
    };
    await expect
      .poll(
        async () => ((await (await SELF.fetch(`http://stepwise/v1/bulk/${jobId}`)).json()) as { done: boolean }).done,
      )
      .toBe(true);
    for (const id of ids) expect((await client.getRun(id)).status).toBe("cancelled");
    expect((await post("/v1/bulk/cancel", { from })).status).toBe(400);
  });
});
