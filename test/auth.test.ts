import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "./worker.ts";

/** Calls the real Worker with some variables changed, as a deployment with those secrets would. */
async function call(vars: Partial<typeof env>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  // An incoming request as workerd would hand it over; the test sets no cf properties.
  const request = new Request(`http://stepwise${path}`, init) as Request<unknown, IncomingRequestCfProperties>;
  const response = await worker.fetch(request, { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}
const bearer = (key: string): RequestInit => ({ headers: { authorization: `Bearer ${key}` } });
const event = JSON.stringify({ name: "test/auth", data: {} });

describe("keys", () => {
  const keyed = { STEPWISE_API_KEYS: "api-old, api-new", STEPWISE_EVENT_KEYS: "event-1" };

  it("API routes take an API key, compared whole; rotation keeps both keys working", async () => {
    expect((await call(keyed, "/v1/functions")).status).toBe(401);
    expect((await call(keyed, "/v1/functions", bearer("api-ol"))).status).toBe(401);
    expect((await call(keyed, "/v1/functions", bearer("event-1"))).status).toBe(401);
    expect((await call(keyed, "/v1/functions", bearer("api-old"))).status).toBe(200);
    expect((await call(keyed, "/v1/functions", bearer("api-new"))).status).toBe(200);
  });

  it("a 401 says nothing that helps guessing", async () => {
    const response = await call(keyed, "/v1/runs", bearer("wrong"));
    expect(await response.json()).toEqual({ error: { code: "unauthorized", message: "Missing or invalid key" } });
  });

  it("ingestion takes an event key (or an API key), in the header or in Inngest's path", async () => {
    const post = (path: string, init: RequestInit = {}) =>
      call(keyed, path, {
        method: "POST",
        body: event,
        ...init,
        headers: { "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) },
      });
    expect((await post("/v1/events")).status).toBe(401);
    expect((await post("/v1/events", bearer("nope"))).status).toBe(401);
    expect((await post("/v1/events", bearer("event-1"))).status).toBe(202);
    expect((await post("/v1/events", bearer("api-new"))).status).toBe(202);
    expect((await post("/e/nope")).status).toBe(401);
    expect((await post("/e/event-1")).status).toBe(200);
  });

  it("an event key opens nothing else", async () => {
    expect((await call(keyed, "/v1/events", bearer("event-1"))).status).toBe(401);
  });

  it("a deployed Worker without keys refuses, saying which secret to set", async () => {
    const response = await call({ STEPWISE_ENV: "production" }, "/v1/functions");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      error: { code: "keys_not_configured", message: expect.stringContaining("STEPWISE_API_KEYS") },
    });
    const ingest = await call({ STEPWISE_ENV: "production", STEPWISE_API_KEYS: "k" }, "/v1/events", {
      method: "POST",
      body: event,
      headers: { "content-type": "application/json", ...bearer("x").headers },
    });
    expect(ingest.status).toBe(401);
  });

  it("local development without keys is open", async () => {
    expect((await call({}, "/v1/functions")).status).toBe(200);
  });
});
