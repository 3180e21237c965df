import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SendEventsError, Stepwise } from "../sdk/index.ts";
import { executions } from "./functions.ts";

const overHttps = new Stepwise({ id: "sender", baseUrl: "http://stepwise", eventKey: "unused-in-dev", fetch: (input, init) => SELF.fetch(input, init) });

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
    expect(error).toMatchObject({ status: 400, code: "invalid_request", issues: [expect.objectContaining({ path: [0, "name"] })] });
  });

  it("says what is missing when the client has nowhere to send", async () => {
    await expect(new Stepwise({ id: "nowhere" }).send({ name: "x" })).rejects.toThrow(/give it a `binding` or a `baseUrl`/);
  });
});
