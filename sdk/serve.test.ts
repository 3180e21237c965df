import { describe, expect, it } from "vitest";
import { Stepwise } from "./client.ts";
import { serve } from "./serve.ts";
import { sign, SIGNATURE_HEADER, signatureValue, verifySignature } from "./signing.ts";

const KEY = "serve-unit-key-0123456789";
const app = new Stepwise({ id: "unit-app", baseUrl: "http://stepwise.invalid" });
const fn = app.createFunction({ id: "hello", onFailure: () => "noted" }, { event: "a/b" }, async ({ step }) =>
  step.run("hi", () => "hi"),
);

describe("serve()", () => {
  it("answers a signed GET with its manifest, onFailure companions included, signed as the answer to that GET", async () => {
    const handler = serve({ client: app, functions: [fn], signingKey: KEY });
    const signature = await sign("", KEY, Date.now(), { request: "GET" });
    const response = await handler(new Request("http://app/api", { headers: { [SIGNATURE_HEADER]: signature } }));
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      protocol: 1,
      appId: "unit-app",
      functions: [{ id: "hello", triggers: [{ event: "a/b" }] }, { id: "hello.on-failure" }],
    });
    expect(
      await verifySignature(response.headers.get(SIGNATURE_HEADER), text, [KEY], Date.now(), {
        answerTo: signatureValue(signature),
      }),
    ).toBeNull();
  });

  it("refuses an unsigned GET, and a PUT when it has no serveUrl or bindingName to register", async () => {
    const handler = serve({ client: app, functions: [fn], signingKey: KEY });
    expect((await handler(new Request("http://app/api"))).status).toBe(401);
    const put = await handler(new Request("http://evil.example/api", { method: "PUT" }));
    expect(put.status).toBe(400);
    expect(await put.text()).toContain("serveUrl");
  });

  it("runs a signed execution request once: the same request sent again is refused as a replay", async () => {
    let runs = 0;
    const counted = app.createFunction({ id: "counted" }, { event: "a/c" }, async ({ step }) =>
      step.run("effect", () => ++runs),
    );
    const body = JSON.stringify({
      version: 1,
      functionId: "counted",
      runId: "r1",
      attempt: 0,
      event: { id: "e1", name: "a/c", data: {}, ts: 0 },
      events: [{ id: "e1", name: "a/c", data: {}, ts: 0 }],
      steps: {},
      allowImmediate: true,
    });
    const headers = { [SIGNATURE_HEADER]: await sign(body, KEY, Date.now(), { request: "POST" }) };
    // A handler made per request (as in a Worker's fetch) shares the isolate's memory of nonces.
    const first = await serve({ client: app, functions: [counted], signingKey: KEY })(
      new Request("http://app/api", { method: "POST", headers, body }),
    );
    expect(first.status).toBe(200);
    const again = await serve({ client: app, functions: [counted], signingKey: KEY })(
      new Request("http://app/api", { method: "POST", headers, body }),
    );
    expect(again.status).toBe(401);
    expect(await again.text()).toContain("already received");
    expect(runs).toBe(1);
  });

  it("asks a given replay guard, e.g. one shared by every isolate", async () => {
    const claimed: string[] = [];
    const replayGuard = { claim: (nonce: string) => (claimed.includes(nonce) ? false : (claimed.push(nonce), true)) };
    const handler = serve({ client: app, functions: [fn], signingKey: KEY, replayGuard });
    const headers = { [SIGNATURE_HEADER]: await sign("", KEY, Date.now(), { request: "GET" }) };
    expect((await handler(new Request("http://app/api", { headers }))).status).toBe(200);
    expect((await handler(new Request("http://app/api", { headers }))).status).toBe(401);
    expect(claimed).toHaveLength(1);
  });

  it("refuses a short signing key when it is created", () => {
    expect(() => serve({ client: app, functions: [fn], signingKey: "short" })).toThrow(/at least 16 characters/);
  });
});
