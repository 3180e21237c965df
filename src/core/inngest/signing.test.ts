import { Inngest } from "inngest";
import { serve } from "inngest/cloudflare";
import { describe, expect, it } from "vitest";
import { bearerAccepted, canonicalJson, hashSigningKey, signInngest, verifyInngest } from "./signing.ts";

/** The vector of ../shared/INNGEST-PROTOCOL.md §4, accepted by inngest 4.24.0. */
const KEY = "signkey-test-8b5e6ae7b2f4c1d0a9e3f7c6b5a4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6";
const CANONICAL =
  '{"ctx":{"attempt":0,"disable_immediate_execution":false,"max_attempts":4,"run_id":"01RUN","stack":{"current":0,"stack":[]},"use_api":false},"event":{"data":{"a":1,"b":2},"name":"demo/a"},"events":[{"data":{"a":1,"b":2},"name":"demo/a"}],"steps":{},"version":-1}';
const AT = 1_700_000_000_000;

describe("Inngest signatures", () => {
  it("signs the canonical form of a body as the SDK checks it", async () => {
    const body = {
      version: -1,
      steps: {},
      events: [{ name: "demo/a", data: { b: 2, a: 1 } }],
      event: { name: "demo/a", data: { b: 2, a: 1 } },
      ctx: {
        use_api: false,
        stack: { stack: [], current: 0 },
        run_id: "01RUN",
        max_attempts: 4,
        disable_immediate_execution: false,
        attempt: 0,
      },
    };
    expect(canonicalJson(body)).toBe(CANONICAL);
    expect(await signInngest(CANONICAL, KEY, AT)).toBe(
      "t=1700000000&s=cc6d0bcf26f5fb3b0df6fb2e934710e16964df176fffaaa68c767ce803550917",
    );
  });

  it("accepts a signature within 5 minutes by the key or its fallback, and says why it refuses one", async () => {
    const header = await signInngest(CANONICAL, KEY, AT);
    expect(await verifyInngest(header, CANONICAL, [KEY], AT + 299_000)).toBeNull();
    expect(await verifyInngest(header, CANONICAL, ["signkey-test-00", KEY], AT)).toBeNull();
    expect(await verifyInngest(header, CANONICAL, [KEY], AT + 301_000)).toMatch(/more than 5 minutes/);
    expect(await verifyInngest(header, CANONICAL.replace('"a":1', '"a":2'), [KEY], AT)).toMatch(/not made with/);
    expect(await verifyInngest(null, CANONICAL, [KEY], AT)).toMatch(/no x-inngest-signature/);
    expect(await verifyInngest("v1=abc", CANONICAL, [KEY], AT)).toMatch(/not t=/);
  });

  it("hashes a signing key into the Bearer token the SDK sends", async () => {
    expect(await hashSigningKey("signkey-prod-12345678")).toBe(
      "signkey-prod-b2ed992186a5cb19f6668aade821f502c1d00970dfd0e35128d51bac4649916c",
    );
    expect(await hashSigningKey(KEY)).toBe(
      "signkey-test-5b0a5b28d52dfe6f2abfd333fad6c1d8b5c1a454e2bae426cd7f71805c1fba6d",
    );
    expect(
      await bearerAccepted("Bearer signkey-test-5b0a5b28d52dfe6f2abfd333fad6c1d8b5c1a454e2bae426cd7f71805c1fba6d", [
        KEY,
      ]),
    ).toBe(true);
    expect(await bearerAccepted(`Bearer ${KEY}`, [KEY])).toBe(true);
    expect(await bearerAccepted("Bearer signkey-test-5b0a", [KEY])).toBe(false);
    expect(await bearerAccepted(null, [KEY])).toBe(false);
  });
});

describe("against the real inngest SDK (cloud mode)", () => {
  const env = { INNGEST_SIGNING_KEY: KEY, INNGEST_BASE_URL: "https://stepwise.test" };
  const sent: { url: string; authorization: string | null; body: string }[] = [];
  const inngest = new Inngest({
    id: "interop",
    // What INNGEST_BASE_URL gives an app whose environment is process.env (read when the client is made).
    baseUrl: "https://stepwise.test",
    // Where the app's own sync goes (POST /fn/register at Stepwise): recorded here, answered as Stepwise would.
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      sent.push({ url: request.url, authorization: request.headers.get("authorization"), body: await request.text() });
      return Response.json({ ok: true, modified: true });
    }) as typeof fetch,
  });
  const hello = inngest.createFunction({ id: "hello", triggers: [{ event: "demo/hello" }] }, async () => "hi");
  // Called as a Worker calls it; inngest's declared argument type (an intersection of the Pages and
  // Workers forms) admits no call at all.
  const handler = serve({ client: inngest, functions: [hello] }) as unknown as (
    request: Request,
    env: Record<string, string>,
  ) => Promise<Response>;
  // The SDK's Cloudflare adapter resolves the URL against the Host header, which workerd always sets.
  const url = "https://app.test/api/inngest";
  /** Stepwise's in-band sync PUT, carrying `body` under `signature`. */
  const inBandSync = (body: string, signature: string) =>
    new Request(url, {
      method: "PUT",
      headers: {
        host: "app.test",
        "content-type": "application/json",
        "x-inngest-sync-kind": "in_band",
        "x-inngest-signature": signature,
      },
      body,
    });

  it("takes an in-band sync signed by Stepwise, and its signed answer checks out", async () => {
    const body = canonicalJson({ url });
    const answer = await handler(inBandSync(body, await signInngest(body, KEY, Date.now())), env);
    const text = await answer.text();
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-inngest-sync-kind")).toBe("in_band");
    expect(JSON.parse(text)).toMatchObject({ app_id: "interop", functions: [{ id: "interop-hello" }] });
    expect(await verifyInngest(answer.headers.get("x-inngest-signature"), text, [KEY], Date.now())).toBeNull();
  });

  it("refuses an in-band sync whose body was changed after signing", async () => {
    const signature = await signInngest(canonicalJson({ url }), KEY, Date.now());
    const tampered = inBandSync(JSON.stringify({ url: "https://evil.test/api/inngest" }), signature);
    expect((await handler(tampered, env)).status).toBe(401);
  });

  it("proves its key on its own sync with a Bearer token Stepwise accepts", async () => {
    const answer = await handler(new Request(url, { method: "PUT", headers: { host: "app.test" } }), env);
    expect(answer.status).toBe(200);
    const register = sent.find((call) => call.url.startsWith("https://stepwise.test/fn/register"));
    expect(register).toBeDefined();
    expect(await bearerAccepted(register?.authorization ?? null, [KEY])).toBe(true);
    expect(await bearerAccepted(register?.authorization ?? null, ["signkey-test-0123456789abcdef"])).toBe(false);
  });
});
