/**
 * Functions on a Node HTTP server (loopback), run by `npm run dev`: registered by the app's own
 * PUT, signed both ways, and a server killed mid-run is a failed attempt that is retried until
 * the server is back.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sign, SIGNATURE_HEADER } from "../../sdk/signing.ts";
import { TestClient } from "../../sdk/testing/index.ts";
import { freePort, startDevServer, type DevServer } from "./dev-server.ts";
import { secondStepRuns, startNodeApp } from "./node-app.ts";

const KEY = "e2e-signing-key-abcdefghijklmnop";
let stateDir: string;
let stepwise: DevServer;
let app: Awaited<ReturnType<typeof startNodeApp>> | undefined;
let appPort: number;
let client: TestClient;

const post = async (name: string, data: Record<string, unknown>): Promise<string[]> => {
  const response = await fetch(`${stepwise.url}/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, data }),
  });
  return ((await response.json()) as { ids: string[] }).ids;
};
/** Sends an event and returns the run it started. */
const send = async (name: string, data: Record<string, unknown>): Promise<string> => {
  const ids = await post(name, data);
  let runId: string | undefined;
  await expect
    .poll(
      async () =>
        (runId = ((await (await fetch(`${stepwise.url}/v1/events/${ids[0]}`)).json()) as { runs: { id: string }[] })
          .runs[0]?.id),
      { timeout: 15_000 },
    )
    .toBeDefined();
  return runId!;
};

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "stepwise-node-app-"));
  stepwise = await startDevServer(stateDir, await freePort(), ["--var", `STEPWISE_SIGNING_KEY:${KEY}`]);
  client = new TestClient(stepwise.url);
  appPort = await freePort();
  app = await startNodeApp(appPort, stepwise.url, KEY);
});

afterAll(async () => {
  await app?.stop();
  await stepwise?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe("functions on a Node HTTP server", () => {
  it("the app registers itself on PUT: Stepwise reads its signed manifest", async () => {
    const response = await fetch(app!.url, { method: "PUT" });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      app: {
        id: "node-app",
        target: { url: app!.url },
        functions: ["node-parallel", "node-waiter", "node-invoker", "node-resilient"],
      },
    });
  });

  it("runs parallel steps, waits for an event and invokes an embedded function", async () => {
    const parallel = await send("node/parallel", { n: 5 });
    expect((await client.waitUntil(parallel, (run) => run.status === "completed")).output).toBe(15);
    const waiter = await send("node/wait", { key: "n1" });
    await client.waitUntil(waiter, (run) => run.status === "waiting");
    await post("node/approved", { key: "n1", by: "grace" });
    expect((await client.waitUntil(waiter, (run) => run.status === "completed")).output).toBe("approved by grace");
    const invoker = await send("node/invoke", {});
    expect((await client.waitUntil(invoker, (run) => run.status === "completed")).output).toEqual({ processed: 3 });
  });

  it("answers an unsigned or wrongly signed call with 401", async () => {
    const body = JSON.stringify({ version: 1 });
    expect((await fetch(app!.url, { method: "POST", body })).status).toBe(401);
    const forged = await fetch(app!.url, {
      method: "POST",
      body,
      headers: {
        [SIGNATURE_HEADER]: await sign(body, "someone-elses-key-0123456789", Date.now(), { request: "POST" }),
      },
    });
    expect(forged.status).toBe(401);
  });

  it("a server killed mid-run makes the attempt fail and retry; the run completes once it is back", async () => {
    const runId = await send("node/resilient", { pause: "1s" });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    await app!.stop();
    app = undefined;
    await expect
      .poll(
        async () => {
          const { history } = (await (await fetch(`${stepwise.url}/v1/runs/${runId}/history`)).json()) as {
            history: { type: string; error?: { message: string } }[];
          };
          // The call after the sleep replays the function, which would run "second" in it: that attempt fails.
          return history.find((entry) => entry.type === "run.retrying" || entry.type === "step.retrying")?.error
            ?.message;
        },
        { timeout: 20_000, interval: 200 },
      )
      .toMatch(/is unreachable/);
    app = await startNodeApp(appPort, stepwise.url, KEY);
    const run = await client.waitUntil(runId, (r) => r.status === "completed", { timeoutMs: 30_000 });
    expect(run.output).toBe("one two");
    expect(secondStepRuns()).toBe(1);
  });
});
