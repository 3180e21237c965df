/**
 * A sleeping run survives `wrangler dev` being killed and started again on the same persisted
 * state: it wakes up on time and completes, with no completed step run twice. A run killed in the
 * middle of its steps goes on as soon as the restarted server serves (its start-up pass), not when
 * its one-minute watchdog alarm fires.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TestClient } from "../../sdk/testing/index.ts";
import { freePort, startDevServer, type DevServer } from "./dev-server.ts";

let server: DevServer | undefined;
let stateDir: string | undefined;

afterAll(async () => {
  await server?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("restart of the dev server", () => {
  it("a run sleeping across a restart wakes up and completes", async () => {
    stateDir = await mkdtemp(join(tmpdir(), "stepwise-restart-"));
    const port = await freePort();
    server = await startDevServer(stateDir, port);
    let client = new TestClient(server.url);
    const short = await client.invoke("onboard-user", { userId: "r1", email: "r1@example.com", followUpAfter: "2s" });
    const long = await client.invoke("onboard-user", { userId: "r2", email: "r2@example.com", followUpAfter: "20s" });
    await client.waitUntil(short, (run) => run.status === "sleeping");
    await client.waitUntil(long, (run) => run.status === "sleeping");

    await server.stop();
    server = await startDevServer(stateDir, port);
    client = new TestClient(server.url);

    for (const runId of [short, long]) {
      const run = await client.waitForEnd(runId, { timeoutMs: 60_000 });
      expect(run.status).toBe("completed");
      expect(run.steps.map((step) => [step.id, step.status, step.attempts])).toEqual([
        ["create-workspace", "completed", 1],
        ["send-welcome-email", "completed", 1],
        ["wait-before-follow-up", "completed", 1],
        ["send-follow-up", "completed", 1],
      ]);
    }
  }, 180_000);

  it("a run killed mid-drive goes on within seconds of the restart, not a watchdog minute later", async () => {
    stateDir ??= await mkdtemp(join(tmpdir(), "stepwise-restart-"));
    const port = await freePort();
    await server?.stop();
    server = await startDevServer(stateDir, port);
    let client = new TestClient(server.url);
    // Under the 10,000 steps a run may take, and enough that the kill finds it mid-way.
    const itemIds = Array.from({ length: 900 }, (_, i) => `item-${i}`);
    const runId = await client.invoke("process-items", { batchId: "mid-drive", itemIds });
    await client.waitUntil(runId, (run) => run.steps.some((step) => step.status === "completed"), {
      timeoutMs: 60_000,
    });

    await server.stop();
    server = await startDevServer(stateDir, port);
    const restartedAt = Date.now();
    client = new TestClient(server.url);
    // 20 s is a third of the watchdog's minute: only the start-up pass can make it.
    const run = await client.waitForEnd(runId, { timeoutMs: 20_000 });
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ processed: itemIds.length });
    console.info(`mid-drive run completed ${Date.now() - restartedAt} ms after the restart`);
  }, 180_000);
});
