/**
 * Skipping sleeps but not waits (`skipTime: "sleeps"`, the wake endpoint's `{ only: "sleeps" }`):
 * what lets a test take an approval path without waiting a day and without the wait timing out.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, runFor } from "./helpers.ts";

const wake = (runId: string, body: string): Promise<Response> =>
  SELF.fetch(`http://stepwise/v1/runs/${runId}/wake`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });

describe("skipping sleeps only", () => {
  it("a run sleeps past its sleep, then waits for its event; the approval sent completes it", async () => {
    const orderId = crypto.randomUUID();
    const [placed] = await client.send({ name: "test/order.placed", data: { orderId } });
    const runId = await runFor(placed!, "cool-off-approval");

    const waiting = await client.waitUntil(runId, (run) => run.status === "waiting", { skipTime: "sleeps" });
    expect(waiting.steps.map((step) => [step.id, step.status])).toEqual([
      ["cool-off", "completed"],
      ["approval", "waiting"],
    ]);
    // The wait's timeout is the only timer left: a sleeps-only wake leaves it alone.
    expect(await client.skipTime(runId, { only: "sleeps" })).toBe(false);
    expect((await client.getRun(runId)).status).toBe("waiting");

    await client.send([
      { name: "test/order.approved", data: { orderId: "another-order", by: "mallory" } },
      { name: "test/order.approved", data: { orderId, by: "alice" } },
    ]);
    const ended = await client.waitForEnd(runId, { skipTime: "sleeps" });
    expect(ended.status).toBe("completed");
    expect(ended.output).toEqual({ approvedBy: "alice" });
  });

  it("without the filter, waking fires the wait's timeout as before", async () => {
    const [placed] = await client.send({ name: "test/order.placed", data: { orderId: crypto.randomUUID() } });
    const ended = await client.waitForEnd(await runFor(placed!, "cool-off-approval"), { skipTime: true });
    expect(ended.output).toBe("expired");
  });

  it('a wake body other than { only: "sleeps" } is a 400', async () => {
    const [placed] = await client.send({ name: "test/order.placed", data: { orderId: crypto.randomUUID() } });
    const runId = await runFor(placed!, "cool-off-approval");
    for (const body of [JSON.stringify({ only: "waits" }), JSON.stringify({ only: "sleeps", extra: 1 }), "{not json"]) {
      const response = await wake(runId, body);
      expect(response.status).toBe(400);
    }
    expect((await wake(runId, JSON.stringify({ only: "sleeps" }))).status).toBe(200);
  });
});
