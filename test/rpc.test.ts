import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client } from "./helpers.ts";
import { executions } from "./functions.ts";

/** Calls Stepwise from the second Worker, over its service binding. */
const rpc = (method: string, ...args: unknown[]) => env.CALLER.call(method, args);
const value = async <T>(method: string, ...args: unknown[]): Promise<T> => {
  const result = await rpc(method, ...args);
  if (!result.ok)
    throw new Error(`${method} failed: ${"code" in result ? result.code : result.name}: ${result.message}`);
  return result.value as T;
};

describe("RPC from a Worker bound to Stepwise", () => {
  it("send() starts every function listening to the event", async () => {
    const key = crypto.randomUUID();
    const { ids } = await value<{ ids: string[] }>("send", { name: "test/fanout", data: { key } });
    expect(ids).toHaveLength(1);
    await expect.poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`))).toEqual([1, 1, 1]);
  });

  it("invoke(), getRun(), listRuns() and cancel()", async () => {
    const { runId } = await value<{ runId: string }>("invoke", "onboard-user", {
      userId: `rpc-${crypto.randomUUID()}`,
      email: "r@example.com",
    });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    expect(await value("getRun", runId)).toMatchObject({ id: runId, status: "sleeping" });
    await expect
      .poll(async () =>
        (await value<{ runs: { id: string }[] }>("listRuns", { functionId: "onboard-user", limit: 200 })).runs.some(
          (run) => run.id === runId,
        ),
      )
      .toBe(true);
    expect(await value("cancel", runId)).toEqual({ cancelled: true, status: "cancelled" });
    expect(await value("getRun", runId)).toMatchObject({ status: "cancelled" });
    expect(await value("getRun", "01JNOTAREALRUN0000000000")).toBeNull();
  });

  it("bad input is answered as a refusal (not thrown) with the HTTP API's code and status, and a message that says what was wrong", async () => {
    const refused = (code: string, status: number, message: unknown) => ({
      ok: false,
      refused: true,
      code,
      status,
      message,
    });
    expect(await rpc("send", [{ data: {} }])).toMatchObject(
      refused("invalid_request", 400, expect.stringMatching(/^Invalid events.*name/s)),
    );
    // Past the event limit invoke data is kept in R2, up to the request body limit.
    expect(await rpc("invoke", "test-parallel", { blob: "x".repeat(10.5 * 1024 * 1024) })).toMatchObject(
      refused("payload_too_large", 413, "Event data is 10.5 MiB; the limit is 10 MiB"),
    );
    expect(await rpc("invoke", "no-such-function", {})).toMatchObject(
      refused("function_not_found", 404, `No function "no-such-function" is registered`),
    );
    expect(await rpc("send", { name: "big", user: { blob: "x".repeat(600 * 1024) } })).toMatchObject(
      refused("event_too_large", 413, expect.stringContaining("the limit is 512 KiB")),
    );
    expect(await rpc("listRuns", { status: "sleepy" })).toMatchObject(
      refused("invalid_request", 400, expect.stringContaining("Invalid run filter")),
    );
    expect(await rpc("getRun", "<script>")).toMatchObject(
      refused("invalid_request", 400, expect.stringContaining("Invalid run id")),
    );
  });
});
