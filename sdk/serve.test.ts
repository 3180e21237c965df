import { describe, expect, it } from "vitest";
import { Stepwise } from "./client.ts";
import { serve } from "./serve.ts";
import { sign, SIGNATURE_HEADER, signatureValue, verifySignature } from "./signing.ts";

const KEY = "serve-unit-key-0123456789";
const app = new Stepwise({ id: "unit-app", baseUrl: "http://stepwise.invalid" });
const fn = app.createFunction({ id: "hello", onFailure: () => "noted" }, { event: "a/b" }, async ({ step }) => step.run("hi", () => "hi"));

describe("serve()", () => {
  it("answers a signed GET with its manifest, onFailure companions included, signed as the answer to that GET", async () => {
    const handler = serve({ client: app, functions: [fn], signingKey: KEY });
    const signature = await sign("", KEY, Date.now(), { request: "GET" });
    const response = await handler(new Request("http://app/api", { headers: { [SIGNATURE_HEADER]: signature } }));
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ protocol: 1, appId: "unit-app", functions: [{ id: "hello", triggers: [{ event: "a/b" }] }, { id: "hello.on-failure" }] });
    expect(await verifySignature(response.headers.get(SIGNATURE_HEADER), text, [KEY], Date.now(), { answerTo: signatureValue(signature) })).toBeNull();
  });

  it("refuses an unsigned GET, and a PUT when it has no serveUrl or bindingName to register", async () => {
    const handler = serve({ client: app, functions: [fn], signingKey: KEY });
    expect((await handler(new Request("http://app/api"))).status).toBe(401);
    const put = await handler(new Request("http://evil.example/api", { method: "PUT" }));
    expect(put.status).toBe(400);
    expect(await put.text()).toContain("serveUrl");
  });

  it("refuses a short signing key when it is created", () => {
    expect(() => serve({ client: app, functions: [fn], signingKey: "short" })).toThrow(/at least 16 characters/);
  });
});
