/**
 * An app written with the official `inngest` SDK, served by `inngest/node` on a Node HTTP server
 * and pointed at a Stepwise dev server with nothing but Inngest's own variables (INNGEST_BASE_URL,
 * INNGEST_SIGNING_KEY, INNGEST_EVENT_KEY): it syncs itself, sends events with `inngest.send`, and
 * its functions run, every call signed both ways.
 */
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import canonicalize from "canonicalize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../../sdk/testing/index.ts";
import { freePort, startDevServer, type DevServer } from "./dev-server.ts";

const KEY = "signkey-test-5e2e0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab";
let stateDir: string;
let stepwise: DevServer;
let server: Server | undefined;
let appUrl: string;
let client: TestClient;
let inngest: import("inngest").Inngest;
const effects: Record<string, number> = {};

/** Inngest's request signature: HMAC-SHA256 of the canonical (RFC 8785) body and the time, keyed by the key's text. */
function sign(body: string, at: number): string {
  const seconds = String(Math.floor(at / 1000));
  const canonical = canonicalize(JSON.parse(body)) ?? "";
  const hmac = createHmac("sha256", KEY.replace(/^signkey-\w+-/, "")).update(canonical + seconds);
  return `t=${seconds}&s=${hmac.digest("hex")}`;
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "stepwise-inngest-node-"));
  stepwise = await startDevServer(stateDir, await freePort(), ["--var", `INNGEST_SIGNING_KEY:${KEY}`]);
  client = new TestClient(stepwise.url);
  // The app's environment, as its deployment would set it; the SDK reads it when the client is made.
  process.env.INNGEST_BASE_URL = stepwise.url;
  process.env.INNGEST_SIGNING_KEY = KEY;
  process.env.INNGEST_EVENT_KEY = "any-event-key";
  const { Inngest, NonRetriableError } = await import("inngest");
  const { serve } = await import("inngest/node");
  inngest = new Inngest({ id: "inngest-node" });
  const functions = [
    inngest.createFunction({ id: "greet", triggers: [{ event: "inode/hello" }] }, async ({ event, step }) => {
      const name = await step.run("name", () => ((effects.name = (effects.name ?? 0) + 1), String(event.data.name)));
      await step.sleep("pause", "1s");
      return step.run("greet", () => ((effects.greet = (effects.greet ?? 0) + 1), `hello ${name}`));
    }),
    inngest.createFunction(
      { id: "retry", retries: 2, triggers: [{ event: "inode/retry" }] },
      async ({ step, attempt }) =>
        step.run("shaky", () => {
          if (attempt === 0) throw new Error("first try fails");
          return `ok on attempt ${attempt}`;
        }),
    ),
    inngest.createFunction({ id: "refuse", triggers: [{ event: "inode/refuse" }] }, async ({ step }) =>
      step.run("charge", () => {
        throw new NonRetriableError("card declined");
      }),
    ),
  ];
  const port = await freePort();
  appUrl = `http://127.0.0.1:${port}/api/inngest`;
  server = createServer(serve({ client: inngest, functions }));
  await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await stepwise?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

/** The run an event Inngest's client sent started. */
async function runOf(name: string, data: Record<string, unknown>): Promise<string> {
  const { ids } = await inngest.send({ name, data });
  const [runId] = await client.runsOf(ids[0]!, { timeoutMs: 20_000 });
  return runId!;
}

describe("an inngest/node app on Stepwise", () => {
  it("syncs itself when PUT, proving its key with its Bearer token", async () => {
    const answer = await fetch(appUrl, { method: "PUT" });
    expect(answer.status).toBe(200);
    const { functions } = (await (await fetch(`${stepwise.url}/v1/functions`)).json()) as {
      functions: { id: string; runsIn: unknown }[];
    };
    expect(functions.find((fn) => fn.id === "inngest-node-greet")?.runsIn).toEqual({
      kind: "url",
      url: appUrl,
      protocol: "inngest",
    });
  });

  it("runs a function from an event sent with inngest.send: steps once each, and a sleep", async () => {
    const run = await client.waitForEnd(await runOf("inode/hello", { name: "ada" }), { timeoutMs: 30_000 });
    expect(run).toMatchObject({ status: "completed", output: "hello ada" });
    expect(effects).toEqual({ name: 1, greet: 1 });
  });

  it("retries a failing step, and fails at once on a NonRetriableError", async () => {
    const retried = await client.waitForEnd(await runOf("inode/retry", {}), { timeoutMs: 30_000, skipTime: true });
    expect(retried).toMatchObject({ status: "completed", output: "ok on attempt 1" });
    const refused = await client.waitForEnd(await runOf("inode/refuse", {}), { timeoutMs: 30_000 });
    expect(refused).toMatchObject({ status: "failed" });
    expect(JSON.stringify(refused.error)).toContain("card declined");
  });

  it("is refused by the app when a call's body was changed after signing", async () => {
    const body = JSON.stringify({
      ctx: { attempt: 0, run_id: "x", stack: { current: 0, stack: [] } },
      event: { name: "inode/hello", data: {} },
      events: [],
      steps: {},
      version: -1,
    });
    const seconds = Math.floor(Date.now() / 1000);
    const answer = await fetch(`${appUrl}?fnId=inngest-node-greet&stepId=step`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-inngest-signature": `t=${seconds}&s=${"0".repeat(64)}` },
      body,
    });
    expect(answer.status).toBe(401);
  });

  it("is refused by the app when a call is signed rightly but more than 5 minutes ago", async () => {
    const body = JSON.stringify({
      ctx: { attempt: 0, run_id: "x", stack: { current: 0, stack: [] } },
      event: { name: "inode/hello", data: {} },
      events: [{ name: "inode/hello", data: {} }],
      steps: {},
      version: -1,
    });
    const call = async (at: number) =>
      fetch(`${appUrl}?fnId=inngest-node-greet&stepId=step`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-inngest-signature": sign(body, at),
        },
        body,
      });
    expect((await call(Date.now() - 6 * 60_000)).status).toBe(401);
    // The same call signed now is taken (it runs the step it names).
    expect((await call(Date.now())).status).not.toBe(401);
  });
});
