import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, runFor, sendEvents } from "./helpers.ts";
import { executions } from "./functions.ts";
import { waitTarget } from "../src/core/waits/wait-targets.ts";

/** Sends one event; returns its id. */
const send1 = async (body: unknown): Promise<string> => (await sendEvents(body))[0]!;
const cancel = async (runId: string) =>
  (await SELF.fetch(`http://stepwise/v1/runs/${runId}/cancel`, { method: "POST" })).json();
const key = (): string => crypto.randomUUID();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("cancellation", () => {
  it("a running run stops at its next step boundary: the step in flight ends, the next never starts", async () => {
    const k = key();
    const runId = await runFor(await send1({ name: "test/held", data: { key: k } }));
    await expect.poll(() => executions(`held-start:${k}`)).toBe(1);
    expect(await cancel(runId)).toEqual({ cancelled: true, status: "cancelled" });
    // Past the end of the step in flight (1 s), when the next one would have started.
    await pause(1_500);
    const run = await client.getRun(runId);
    expect(run.status).toBe("cancelled");
    expect(executions(`held-next:${k}`)).toBe(0);
    const history = (await (await SELF.fetch(`http://stepwise/v1/runs/${runId}/history`)).json()) as {
      history: { type: string }[];
    };
    expect(history.history.map((entry) => entry.type)).toEqual(["run.created", "run.started", "run.cancelled"]);
  });

  it("a waiting run stops now, and a later matching event changes nothing", async () => {
    const invoiceId = key();
    const runId = await runFor(await send1({ name: "test/invoice.created", data: { invoiceId } }));
    await client.waitUntil(runId, (run) => run.status === "waiting");
    expect(await cancel(runId)).toEqual({ cancelled: true, status: "cancelled" });
    await send1({ name: "test/invoice.approved", data: { invoiceId, amount: 5 } });
    await pause(100);
    const run = await client.getRun(runId);
    expect(run.status).toBe("cancelled");
    expect(run.steps.map((step) => step.id)).toEqual(["approval"]);
  });

  it("cancelOn: an event with the same user cancels the sleeping run; another user's does not", async () => {
    const userId = key();
    const runId = await runFor(await send1({ name: "test/cancellable.start", data: { userId } }));
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    await send1({ name: "test/user.deleted", data: { userId: "someone-else" } });
    await pause(100);
    expect((await client.getRun(runId)).status).toBe("sleeping");
    await send1({ name: "test/user.deleted", data: { userId } });
    await client.waitUntil(runId, (run) => run.status === "cancelled");
    const history = (await (await SELF.fetch(`http://stepwise/v1/runs/${runId}/history`)).json()) as {
      history: { type: string; reason?: string }[];
    };
    expect(history.history.at(-1)).toMatchObject({
      type: "run.cancelled",
      reason: expect.stringContaining('cancelled by event "test/user.deleted"'),
    });
    expect([executions(`cancellable-before:${userId}`), executions(`cancellable-after:${userId}`)]).toEqual([1, 0]);
  });
});

describe("waits of ended runs", () => {
  /** The run's waiters in the index its cancelOn (match on userId) registered with: the keyed shard of the user. */
  const waitersOf = (name: string, runId: string, userId: string) =>
    runInDurableObject(
      env.WAITS.get(
        env.WAITS.idFromName(
          waitTarget(name, "event.data.userId == async.data.userId", { id: "e", name, data: { userId }, ts: 0 }).name,
        ),
      ),
      async (_instance, state) =>
        state.storage.sql.exec("SELECT step_id FROM waiters WHERE run_id = ?", runId).toArray().length,
    );

  it("a run's cancelOn listener lives as long as the run: gone once it ends, not kept for a year", async () => {
    const userId = key();
    const runId = await runFor(await send1({ name: "test/cancellable.start", data: { userId } }));
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    await expect.poll(() => waitersOf("test/user.deleted", runId, userId)).toBe(1);
    await client.waitForEnd(runId, { skipTime: true });
    expect((await client.getRun(runId)).status).toBe("completed");
    await expect.poll(() => waitersOf("test/user.deleted", runId, userId)).toBe(0);
  });

  it("a cancelled run's waits are removed too", async () => {
    const userId = key();
    const runId = await runFor(await send1({ name: "test/cancellable.start", data: { userId } }));
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    await expect.poll(() => waitersOf("test/user.deleted", runId, userId)).toBe(1);
    await cancel(runId);
    await expect.poll(() => waitersOf("test/user.deleted", runId, userId)).toBe(0);
  });
});

describe("timeouts", () => {
  it("a run not finished within timeouts.finish fails with a timeout error, and onFailure runs", async () => {
    const k = key();
    const runId = await runFor(await send1({ name: "test/finish-timeout", data: { key: k } }));
    const run = await client.waitForEnd(runId, { skipTime: true });
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ name: "FunctionTimeoutError" });
    await expect.poll(() => executions(`finish-timeout-failed:${k}`)).toBe(1);
  });
});
