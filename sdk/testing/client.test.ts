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
    seen.push({ method: init?.method ?? "GET", path: new URL(input).pathname, body: typeof init?.body === "string" ? init.body : undefined });
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    return Response.json(answer);
  });
  return { client, seen };
}

const run = (status: string, extra: Record<string, unknown> = {}) => ({ id: "r1", functionId: "f", status, steps: [], ...extra });

describe("TestClient", () => {
  it("waitForEnd stops at a skipped run, with its error", async () => {
    const { client } = fakeWorker([run("queued"), run("skipped", { error: { name: "RunSkippedError", message: "rate limited" } })]);
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
