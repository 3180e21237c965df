import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SendEventsError, Stepwise, StepwiseRefusedError } from "../sdk/index.ts";
import { executions } from "./functions.ts";

const overHttps = new Stepwise({
  id: "sender",
  baseUrl: "http://stepwise",
  eventKey: "unused-in-dev",
  fetch: (input, init) => SELF.fetch(input, init),
});

describe("Stepwise.send over HTTPS", () => {
  it("sends an event that starts every listening function", async () => {
    const key = crypto.randomUUID();
    const { ids } = await overHttps.send({ name: "test/fanout", data: { key } });
    expect(ids).toHaveLength(1);
    await expect.poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`))).toEqual([1, 1, 1]);
  });

  it("throws a typed error with the API's code and issues when refused", async () => {
    const error = await overHttps.send([{ name: "" }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendEventsError);
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_request",
      issues: [expect.objectContaining({ path: [0, "name"] })],
    });
  });

  it("says what is missing when the client has nowhere to send", async () => {
    await expect(new Stepwise({ id: "nowhere" }).send({ name: "x" })).rejects.toThrow(
      /give it a `binding` or a `baseUrl`/,
    );
  });
});

describe("the client's run calls over HTTPS (with an API key)", () => {
  const api = new Stepwise({
    id: "caller",
    baseUrl: "http://stepwise",
    apiKey: "unused-in-dev",
    fetch: (input, init) => SELF.fetch(input, init),
  });

  it("invokes, reads, lists and cancels runs in the same shapes as over the binding", async () => {
    const { runId } = await api.invoke("onboard-user", {
      userId: `https-${crypto.randomUUID()}`,
      email: "h@example.com",
    });
    await expect.poll(async () => (await api.getRun(runId))?.status).toBe("sleeping");
    await expect
      .poll(
        async () =>
          (await api.listRuns({ functionId: "onboard-user", limit: 200 })).runs.find((run) => run.id === runId)
            ?.createdAt,
      )
      .toMatch(/^\d{4}-/);
    expect(await api.cancel(runId, "no longer needed")).toEqual({ cancelled: true, status: "cancelled" });
    expect((await api.getRun(runId))?.status).toBe("cancelled");
    expect(await api.getRun("01JNOTAREALRUN0000000000")).toBeNull();
    expect(await api.cancel("01JNOTAREALRUN0000000000")).toBeNull();
  });

  it("refuses with the API's code and status, and needs an API key", async () => {
    const refused = await api.invoke("no-such-function").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StepwiseRefusedError);
    expect(refused).toMatchObject({ code: "function_not_found", status: 404 });
    await expect(api.listRuns({ limit: 1_000 })).rejects.toMatchObject({ code: "invalid_request", status: 400 });
    await expect(overHttps.getRun("01JNOTAREALRUN0000000000")).rejects.toThrow(/needs an API key/);
  });
});
