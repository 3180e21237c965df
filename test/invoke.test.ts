import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, runFor, sendEvents } from "./helpers.ts";
import { indexedRuns } from "./indexed.ts";

/** Sends one event; returns its id. */
const send1 = async (body: unknown): Promise<string> => (await sendEvents(body))[0]!;

describe("step.invoke and step.invokeMany", () => {
  it("research agent: 10 sections as child runs, one failing; results in order, each success or failure", async () => {
    const runId = await runFor(await send1({ name: "test/research", data: { failAt: 3 } }));
    const run = await client.waitForEnd(runId);
    expect(run.status).toBe("completed");
    const expected = Array.from({ length: 10 }, (_, i) =>
      i === 3 ? expect.stringMatching(/^failed: .*section 3 could not be written/) : `section ${i}`,
    );
    expect(run.output).toEqual(expected);
    // Parent and children are linked in the index.
    await expect.poll(async () => (await indexedRuns()).filter((run) => run.parentRunId === runId).length).toBe(10);
    const failed = (await indexedRuns({ status: "failed" })).filter((run) => run.parentRunId === runId);
    expect(failed).toHaveLength(1);
  });

  it("cancelling a parent cancels the child it waits for, and the child's history says why", async () => {
    const parentId = await runFor(await send1({ name: "test/sleepy-parent", data: { userId: crypto.randomUUID() } }));
    let childId: string | undefined;
    await expect
      .poll(async () => {
        const { history } = (await (await SELF.fetch(`http://stepwise/v1/runs/${parentId}/history`)).json()) as {
          history: { type: string; childRunIds?: string[] }[];
        };
        return (childId = history.find((entry) => entry.type === "step.invoking")?.childRunIds?.[0]);
      })
      .toBeDefined();
    await client.waitUntil(childId!, (run) => run.status === "sleeping");
    await SELF.fetch(`http://stepwise/v1/runs/${parentId}/cancel`, { method: "POST" });
    const child = await client.waitUntil(childId!, (run) => run.status === "cancelled");
    expect(child.status).toBe("cancelled");
    const { history } = (await (await SELF.fetch(`http://stepwise/v1/runs/${childId}/history`)).json()) as {
      history: { type: string; reason?: string }[];
    };
    expect(history.find((entry) => entry.type === "run.cancelled")?.reason).toBe(
      `cancelled because its parent run ${parentId} ended (cancelled)`,
    );
  });

  it("cancelling the child a parent waits for tells the parent's invoke step at once", async () => {
    const parentId = await runFor(await send1({ name: "test/sleepy-parent", data: { userId: crypto.randomUUID() } }));
    const parentHistory = async () =>
      (
        (await (await SELF.fetch(`http://stepwise/v1/runs/${parentId}/history`)).json()) as {
          history: { type: string; childRunIds?: string[]; outcome?: { ok: boolean; error?: { name: string } } }[];
        }
      ).history;
    let childId: string | undefined;
    await expect
      .poll(
        async () =>
          (childId = (await parentHistory()).find((entry) => entry.type === "step.invoking")?.childRunIds?.[0]),
      )
      .toBeDefined();
    await client.waitUntil(childId!, (run) => run.status === "sleeping");
    await SELF.fetch(`http://stepwise/v1/runs/${childId}/cancel`, { method: "POST" });
    await expect
      .poll(async () => (await parentHistory()).find((entry) => entry.type === "step.child-ended")?.outcome)
      .toMatchObject({ ok: false, error: { name: "RunCancelledError" } });
  });

  it("invoke returns the child's output; a failed child is the parent's step error", async () => {
    const ok = await client.waitForEnd(await runFor(await send1({ name: "test/invoke", data: {} })));
    expect(ok.output).toBe("section 42");
    const failing = await client.waitForEnd(await runFor(await send1({ name: "test/invoke", data: { fail: true } })));
    expect(failing.status).toBe("failed");
    expect(failing.error).toMatchObject({
      name: "StepError",
      message: expect.stringContaining("section 42 could not be written"),
    });
  });
});
