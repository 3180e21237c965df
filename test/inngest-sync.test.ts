import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { hashSigningKey } from "../src/core/inngest/signing.ts";
import { registerInngestApp } from "../src/core/inngest/sync.ts";
import { client } from "./helpers.ts";

const api = (path: string, init: RequestInit = {}) => SELF.fetch(`http://stepwise${path}`, init);
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const functionsList = async () =>
  (
    (await (await api("/v1/functions")).json()) as {
      functions: { id: string; runsIn: unknown; triggers: unknown; config: Record<string, unknown> }[];
    }
  ).functions;

/** A function as the inngest SDK registers it (../shared/INNGEST-PROTOCOL.md §1.3). */
const registered = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  triggers: [{ event: "oob/event" }],
  steps: {
    step: {
      id: "step",
      name: "step",
      runtime: { type: "http", url: `https://oob.example/api/inngest?fnId=${id}&stepId=step` },
    },
  },
  ...extra,
});
const KEY = "signkey-test-0123456789abcdef0123456789abcdef";

describe("Inngest apps sync with Stepwise", () => {
  it("syncs an app served by inngest/cloudflare in band, and lists its functions as Inngest's", async () => {
    const response = await post("/v1/apps", { binding: "INNGEST_APP", path: "/api/inngest", protocol: "inngest" });
    const body = (await response.json()) as { app: { id: string; target: unknown; functions: string[] } };
    expect(response.status).toBe(201);
    expect(body.app).toMatchObject({
      id: "inngest-fixture",
      target: { binding: "INNGEST_APP", path: "/api/inngest", protocol: "inngest" },
      functions: expect.arrayContaining([
        "inngest-fixture-hello",
        "inngest-fixture-nightly",
        "inngest-fixture-doomed",
        "inngest-fixture-doomed-failure",
      ]),
    });
    const listed = await functionsList();
    const hello = listed.find((fn) => fn.id === "inngest-fixture-hello");
    expect(hello?.runsIn).toEqual({
      kind: "binding",
      binding: "INNGEST_APP",
      path: "/api/inngest",
      protocol: "inngest",
    });
    expect(hello?.triggers).toEqual([{ event: "fixture/hello" }]);
    expect(hello?.config).toMatchObject({
      retries: 4,
      concurrency: [{ limit: 2, key: "event.data.user", scope: "fn" }],
    });
    expect(listed.find((fn) => fn.id === "inngest-fixture-nightly")?.triggers).toEqual([
      { cron: "0 3 * * *", timezone: "Europe/Paris" },
    ]);
  });

  it("takes the app's own sync: a PUT to the app makes it POST /fn/register, and the app keeps its binding", async () => {
    const answer = await env.INNGEST_APP.fetch("https://app.internal/api/inngest", {
      method: "PUT",
      headers: { host: "app.internal" },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ message: "Successfully registered" });
    const listed = await functionsList();
    expect(listed.find((fn) => fn.id === "inngest-fixture-hello")?.runsIn).toEqual({
      kind: "binding",
      binding: "INNGEST_APP",
      path: "/api/inngest",
      protocol: "inngest",
    });
  });

  it("answers a sync it refuses in the shape the SDK reads, naming the function and the option", async () => {
    const response = await post("/fn/register", {
      url: "https://oob.example/api/inngest",
      appName: "oob",
      functions: [registered("oob-jitter", { triggers: [{ cron: "0 * * * *", jitter: "10s" }] })],
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      status: 400,
      error: 'function "oob-jitter": triggers[0].jitter is not supported: a cron runs at its tick',
    });
    const malformed = await post("/fn/register", { appName: "oob" });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      status: 400,
      error: expect.stringContaining("Not an Inngest sync"),
    });
  });

  it("refuses a sync on a deployed Stepwise with no INNGEST_SIGNING_KEY", async () => {
    const result = await registerInngestApp({ ...env, STEPWISE_ENV: "production" }, null, {});
    expect(result).toMatchObject({ ok: false, status: 503, code: "signing_key_not_configured" });
  });

  it("never lets an Inngest sync take over an app of Stepwise's own protocol, and refuses a key that is not Inngest's", async () => {
    const keyed = { ...env, INNGEST_SIGNING_KEY: KEY };
    await env.DB.prepare(
      "INSERT OR REPLACE INTO apps (id, target, sdk, synced_at) VALUES ('own-app', ?1, 'stepwise', 0)",
    )
      .bind(JSON.stringify({ url: "https://own.example/api/stepwise" }))
      .run();
    const body = { url: "https://evil.example/api/inngest", appName: "own-app", functions: [registered("own-app-fn")] };
    expect(await registerInngestApp(keyed, `Bearer ${await hashSigningKey(KEY)}`, body)).toMatchObject({
      ok: false,
      status: 409,
      code: "app_id_taken",
    });
    for (const bad of ["signkey-prod-", "signkey-prod-xyz", "short"]) {
      expect(await registerInngestApp({ ...env, INNGEST_SIGNING_KEY: bad }, "Bearer signkey-x-", body)).toMatchObject({
        ok: false,
        status: 503,
      });
    }
  });

  it("with a signing key, takes only a sync whose Bearer token proves it", async () => {
    const keyed = { ...env, INNGEST_SIGNING_KEY: KEY };
    const body = {
      url: "https://oob.example/api/inngest?deployId=d1",
      appName: "oob",
      sdk: "js:v4.24.0",
      functions: [registered("oob-fn")],
    };
    expect(await registerInngestApp(keyed, "Bearer signkey-test-00", body)).toMatchObject({ ok: false, status: 401 });
    expect(await registerInngestApp(keyed, null, body)).toMatchObject({ ok: false, status: 401 });
    const accepted = await registerInngestApp(keyed, `Bearer ${await hashSigningKey(KEY)}`, body);
    expect(accepted).toMatchObject({
      ok: true,
      app: {
        id: "oob",
        target: { url: "https://oob.example/api/inngest", protocol: "inngest" },
        functions: ["oob-fn"],
      },
    });
  });

  it("runs the app's function: invoked, and triggered by an event, step by step through the binding", async () => {
    const invoked = await client.waitForEnd(await client.invoke("inngest-fixture-hello", { user: "ada" }));
    expect(invoked).toMatchObject({ status: "completed", output: "hi ada" });
    const [eventId] = await client.send({ name: "fixture/hello", data: { user: "grace" } });
    const [runId] = await client.runsOf(eventId!);
    const routed = await client.waitForEnd(runId!);
    expect(routed).toMatchObject({ status: "completed", output: "hi grace" });
    expect(routed.steps.map((step) => step.status)).toEqual(["completed"]);
  });
});
