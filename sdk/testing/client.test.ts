/**
 * TestClient against a fake Worker: the requests it makes and how it reads the answers, without
 * workerd (the Workers-pool tests cover it against the real API).
 */
import { describe, expect, it } from "vitest";
import { TestClient, TestClientError } from "./index.ts";

interface Seen {
  method: string;
  path: string;
  body: string | undefined;
}

/** A fake Worker: answers each request with the next of `answers` (the last one repeats). */
function fakeWorker(answers: unknown[]): { client: TestClient; seen: Seen[] } {
  const seen: Seen[] = [];
  const client = new TestClient(async (input, init) => {
    seen.push({
      method: init?.method ?? "GET",
      path: new URL(input).pathname,
      body: typeof init?.body === "string" ? init.body : undefined,
    });
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    return Response.json(answer);
  });
  return { client, seen };
}

const run = (status: string, extra: Record<string, unknown> = {}) => ({
  id: "r1",
  functionId: "f",
  status,
  steps: [],
  ...extra,
});

describe("TestClient", () => {
  it("waitForEnd stops at a skipped run, with its error", async () => {
    const { client } = fakeWorker([
      run("queued"),
      run("skipped", { error: { name: "RunSkippedError", message: "rate limited" } }),
    ]);
    const ended = await client.waitForEnd("r1");
    expect(ended.status).toBe("skipped");
    expect(ended.error?.name).toBe("RunSkippedError");
  });

  it("reads every status the engine reports", async () => {
    for (const status of ["queued", "running", "sleeping", "waiting", "completed", "failed", "cancelled", "skipped"]) {
      const { client } = fakeWorker([run(status)]);
      expect((await client.getRun("r1")).status).toBe(status);
    }
  });

  it("send posts the events and resolves to their ids", async () => {
    const { client, seen } = fakeWorker([{ ids: ["e1", "e2"] }]);
    const ids = await client.send([{ name: "a/b", data: { x: 1 } }, { name: "a/c" }]);
    expect(ids).toEqual(["e1", "e2"]);
    expect(seen).toEqual([
      { method: "POST", path: "/v1/events", body: JSON.stringify([{ name: "a/b", data: { x: 1 } }, { name: "a/c" }]) },
    ]);
  });

  it('skipTime "sleeps" asks the wake endpoint for sleeps only; true asks for any timer', async () => {
    const sleeping = run("sleeping", { nextWakeAt: new Date().toISOString() });
    const { client, seen } = fakeWorker([sleeping, { woke: true }, run("completed")]);
    await client.waitForEnd("r1", { skipTime: "sleeps" });
    expect(seen.filter((s) => s.path.endsWith("/wake")).map((s) => s.body)).toEqual([
      JSON.stringify({ only: "sleeps" }),
    ]);

    const all = fakeWorker([sleeping, { woke: true }, run("completed")]);
    await all.client.waitForEnd("r1", { skipTime: true });
    expect(all.seen.filter((s) => s.path.endsWith("/wake")).map((s) => s.body)).toEqual([undefined]);
  });

  it("an API error becomes a TestClientError naming the request", async () => {
    const client = new TestClient(async () => Response.json({ error: { code: "run_not_found" } }, { status: 404 }));
    await expect(client.getRun("nope")).rejects.toThrow(TestClientError);
    await expect(client.getRun("nope")).rejects.toThrow("GET /v1/runs/nope answered 404");
  });

  it("waitUntil gives up after timeoutMs", async () => {
    const { client } = fakeWorker([run("waiting")]);
    await expect(client.waitForEnd("r1", { timeoutMs: 30 })).rejects.toThrow("is still waiting");
  });
});
