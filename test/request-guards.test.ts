/**
 * What a hostile caller may not do even when the API is open (local development) or holds a key:
 * drive it from a web page, post JSON under another type, store a name that is not text, or make
 * a deployed Stepwise fetch a private address.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "./worker.ts";

const json = { "content-type": "application/json" };
const event = (name: string) => JSON.stringify({ name, data: {} });

async function call(vars: Partial<typeof env>, path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://stepwise${path}`, init) as Request<unknown, IncomingRequestCfProperties>,
    { ...env, ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe("the API refuses", () => {
  it("a JSON body sent under another content type (415), as a web page's no-preflight post would be", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", ""]) {
      const headers: Record<string, string> = type ? { "content-type": type } : {};
      const response = await SELF.fetch("http://stepwise/v1/events", {
        method: "POST",
        headers,
        body: event("guards/typed"),
      });
      expect(response.status, type).toBe(415);
      expect(await response.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
    }
    expect(
      (
        await SELF.fetch("http://stepwise/e/any-key", {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: event("guards/typed"),
        })
      ).status,
    ).toBe(415);
    expect(
      (
        await SELF.fetch("http://stepwise/v1/events", {
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-8" },
          body: event("guards/typed"),
        })
      ).status,
    ).toBe(202);
  });

  it("a state-changing request a browser marks as coming from another site, whatever its type", async () => {
    const { runId } = (await (
      await SELF.fetch("http://stepwise/v1/functions/onboard-user/invoke", {
        method: "POST",
        headers: json,
        body: JSON.stringify({ data: { userId: "guards", email: "g@example.com" } }),
      })
    ).json()) as { runId: string };
    const fromElsewhere: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { "sec-fetch-site": "cross-site" },
      { origin: "null", ...json },
    ];
    for (const headers of fromElsewhere) {
      const response = await SELF.fetch(`http://stepwise/v1/runs/${runId}/cancel`, { method: "POST", headers });
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: "cross_site" } });
    }
    const fromPage = await SELF.fetch("http://stepwise/e/any-key", {
      method: "POST",
      headers: { ...json, origin: "https://evil.example" },
      body: event("guards/page"),
    });
    expect(fromPage.status).toBe(403);
    expect((await SELF.fetch(`http://stepwise/v1/runs/${runId}/cancel`, { method: "POST" })).status).toBe(200);
  });

  it("an event name starting with a NUL (400): such names are the keyed wait shards'", async () => {
    const response = await SELF.fetch("http://stepwise/v1/events", {
      method: "POST",
      headers: json,
      body: '{"name":"\\u0000[\\"guards/x\\",\\"[]\\",0]"}',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("may not start with a NUL");
  });

  it("an event name or id holding a lone surrogate (400), instead of storing it changed", async () => {
    for (const body of [
      '{"name":"guards/\\ud800x"}',
      '{"name":"guards/\\udc00"}',
      '{"name":"guards/ok","id":"id-\\udbff"}',
    ]) {
      const response = await SELF.fetch("http://stepwise/v1/events", { method: "POST", headers: json, body });
      expect(response.status, body).toBe(400);
      expect(await response.text()).toContain("lone UTF-16 surrogate");
    }
    expect(
      (
        await SELF.fetch("http://stepwise/v1/events", {
          method: "POST",
          headers: json,
          body: '{"name":"guards/\\ud83d\\ude00"}',
        })
      ).status,
    ).toBe(202);
  });

  it("outside development, an app URL that is not https:// to a public address", async () => {
    const production = { STEPWISE_ENV: "production", STEPWISE_API_KEYS: "key" };
    const headers = { ...json, authorization: "Bearer key" };
    for (const url of [
      "http://billing.example.com/api",
      "https://127.0.0.1/api",
      "https://169.254.169.254/latest",
      "https://[::1]/api",
      "https://printer.local/api",
    ]) {
      const response = await call(production, "/v1/apps", { method: "POST", headers, body: JSON.stringify({ url }) });
      expect(response.status, url).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "app_url_refused" } });
    }
  });

  it("data nested deeper than 100 levels (400, not a 500), at any depth", async () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
    for (const levels of [101, 998, 5_000]) {
      const response = await SELF.fetch("http://stepwise/v1/events", {
        method: "POST",
        headers: json,
        body: `{"name":"guards/deep","data":${nested(levels)}}`,
      });
      expect(response.status, String(levels)).toBe(400);
      expect(await response.text()).toContain("deeper than 100 levels");
    }
    const invoke = await SELF.fetch("http://stepwise/v1/functions/onboard-user/invoke", {
      method: "POST",
      headers: json,
      body: `{"data":${nested(200)}}`,
    });
    expect(invoke.status).toBe(400);
    expect(
      (
        await SELF.fetch("http://stepwise/v1/events", {
          method: "POST",
          headers: json,
          body: `{"name":"guards/deep","data":${nested(99)}}`,
        })
      ).status,
    ).toBe(202);
  });

  it("times no date can hold, in bodies and queries (400, not a 500)", async () => {
    const huge = 8_640_000_000_000_001;
    const cases: [string, RequestInit][] = [
      [
        "/v1/bulk/replay",
        { method: "POST", headers: json, body: JSON.stringify({ function: "onboard-user", from: huge }) },
      ],
      [
        "/v1/bulk/replay",
        {
          method: "POST",
          headers: json,
          body: JSON.stringify({ function: "onboard-user", from: "+275761-01-01T00:00:00Z" }),
        },
      ],
      [
        "/v1/bulk/cancel",
        { method: "POST", headers: json, body: JSON.stringify({ function: "onboard-user", to: 1e300 }) },
      ],
      ["/v1/events", { method: "POST", headers: json, body: JSON.stringify({ name: "guards/ts", ts: huge }) }],
      [`/v1/runs?after=${huge}`, {}],
    ];
    for (const [path, init] of cases) {
      const response = await SELF.fetch(`http://stepwise${path}`, init);
      expect(response.status, `${path} ${String(init.body)}`).toBe(400);
    }
  });
});
