import { abortAllDurableObjects, env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { codeVersion, executions, gates } from "./functions.ts";
import { client } from "./helpers.ts";

const stubFor = (runId: string) => env.RUN.get(env.RUN.idFromName(runId));
const historyOf = async (runId: string) => (await stubFor(runId).getHistory()) ?? [];

describe("retries", () => {
  it("retries a failing step alone; steps before it are not executed again", async () => {
    const run = await client.run("test-fails-twice", { key: "ft" });
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ a: 1, b: "ok", c: 1 });
    expect([executions("ft:first"), executions("ft:flaky"), executions("ft:last")]).toEqual([1, 3, 1]);
    const types = (await historyOf(run.id))
      .filter((entry) => "stepId" in entry && entry.stepId === "flaky")
      .map((entry) => entry.type);
    expect(types).toEqual(["step.retrying", "step.retrying", "step.completed"]);
  });

  it("waits between attempts with exponential backoff, each wait an alarm", async () => {
    const runId = await client.invoke("test-fails-twice", { key: "backoff" });
    const retrying = await client.waitUntil(runId, (run) => run.steps.some((step) => step.status === "retrying"));
    const retryAt = Date.parse(String(retrying.steps.find((step) => step.id === "flaky")?.retryAt));
    expect(retryAt - Date.now()).toBeGreaterThan(0);
    expect(retryAt - Date.now()).toBeLessThanOrEqual(1_000);
    expect(await stubFor(runId).getRun()).toMatchObject({ nextWakeAt: new Date(retryAt).toISOString() });
    await client.waitForEnd(runId, { skipTime: true });
  });

  it("NonRetriableError fails the run after one attempt and runs onFailure once", async () => {
    const runId = await client.invoke("test-non-retriable", { key: "nr" });
    const run = await client.waitUntil(runId, (r) => r.failureRunId !== undefined);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toContain("card declined");
    expect(executions("nr:boom")).toBe(1);
    expect(run.failureRunId).toBe(`${run.id}.failure`);
    const failure = await client.waitForEnd(run.failureRunId ?? "");
    expect(failure.status).toBe("completed");
    expect(failure.output).toMatchObject({ failedRunId: run.id });
    expect(String((failure.output as { handled: string }).handled)).toContain("card declined");
    await runDurableObjectAlarm(stubFor(run.id));
    await stubFor(run.id).wake();
    expect(executions("nr:onFailure")).toBe(1);
  });

  it("RetryAfterError sets the next attempt's time", async () => {
    const runId = await client.invoke("test-retry-after", { key: "ra" });
    const waiting = await client.waitUntil(runId, (run) => run.steps[0]?.status === "retrying");
    const retryAt = Date.parse(String(waiting.steps[0]?.retryAt));
    expect(retryAt - Date.now()).toBeGreaterThan(55_000);
    const done = await client.waitForEnd(runId, { skipTime: true });
    expect(done.output).toBe("done");
  });
});

describe("durability", () => {
  it("resumes a run whose object was aborted mid-step; completed steps do not run again", async () => {
    const runId = await client.invoke("test-abortable", { key: "ab" });
    await client.waitUntil(runId, () => gates.has("ab"));
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(stubFor(runId))).toBe(true);
    const run = await client.waitForEnd(runId);
    expect(run.status).toBe("completed");
    expect([executions("ab:before"), executions("ab:in-flight"), executions("ab:after")]).toEqual([1, 2, 1]);
  });

  it("an alarm firing early or twice changes nothing", async () => {
    const runId = await client.invoke("onboard-user", { userId: "twice", email: "t@example.com" });
    const asleep = await client.waitUntil(runId, (run) => run.status === "sleeping");
    const before = await historyOf(runId);
    expect(await runDurableObjectAlarm(stubFor(runId))).toBe(true);
    expect(await runDurableObjectAlarm(stubFor(runId))).toBe(true);
    expect(await historyOf(runId)).toEqual(before);
    const alarm = await runInObjectAlarm(runId);
    expect(alarm).toBe(Date.parse(asleep.nextWakeAt ?? ""));
    await client.waitForEnd(runId, { skipTime: true });
    const after = await historyOf(runId);
    await runDurableObjectAlarm(stubFor(runId));
    expect(await historyOf(runId)).toEqual(after);
  });

  it("a step renamed under a running run fails it with a clear error", async () => {
    codeVersion.current = 1;
    const runId = await client.invoke("test-changing-code");
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    codeVersion.current = 2;
    try {
      const run = await client.waitForEnd(runId, { skipTime: true });
      expect(run.status).toBe("failed");
      expect(run.error?.name).toBe("NonDeterminismError");
      expect(run.error?.message).toContain('"charge-card"');
      expect(run.error?.message).toContain('"charge-customer"');
      // The run names the Worker version it started on (the same here: no deployment happened).
      const version = env.CF_VERSION_METADATA?.id;
      expect(version).toBeTypeOf("string");
      expect(run.version).toBe(version);
    } finally {
      codeVersion.current = 1;
    }
  });
});

async function runInObjectAlarm(runId: string): Promise<number | null> {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(stubFor(runId), (_instance, state) => state.storage.getAlarm());
}

describe("parallel steps", () => {
  it("Promise.all of steps runs each once and records each", async () => {
    const run = await client.run("test-parallel", { key: "par", n: 5 });
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ results: [0, 10, 20, 30, 40], total: 100 });
    expect(executions("par:item")).toBe(5);
    expect(run.steps.map((step) => step.id)).toEqual(["item-0", "item-1", "item-2", "item-3", "item-4", "sum"]);
    expect(run.steps.every((step) => step.status === "completed")).toBe(true);
  });
});

describe("limits", () => {
  it("runs 10,000 steps and fails the 10,001st with the limit named", async () => {
    const ok = await client.run("test-many-steps", { n: 10_000 }, { timeoutMs: 60_000 });
    expect(ok.status).toBe("completed");
    expect(ok.steps).toHaveLength(10_000);
    const over = await client.run("test-many-steps", { n: 10_001 }, { timeoutMs: 60_000 });
    expect(over.status).toBe("failed");
    expect(over.error?.message).toBe('Run reached the limit of 10000 steps at step "step:10000"');
  }, 120_000);

  it("reads a long run's history a page at a time, and refuses a page over 1,000 entries", async () => {
    const run = await client.run("test-many-steps", { n: 30 });
    const page = async (query: string) => {
      const response = await SELF.fetch(`http://stepwise/v1/runs/${run.id}/history${query}`);
      return {
        status: response.status,
        body: (await response.json()) as { history: { seq: number }[]; nextAfterSeq?: number },
      };
    };
    const whole = await page("");
    expect(whole.body.nextAfterSeq).toBeUndefined();
    const seqs: number[] = [];
    for (let query = "?limit=25", pages = 0; pages < 10; pages++) {
      const { body } = await page(query);
      seqs.push(...body.history.map((entry) => entry.seq));
      if (body.nextAfterSeq === undefined) break;
      query = `?limit=25&afterSeq=${body.nextAfterSeq}`;
    }
    expect(seqs).toEqual(whole.body.history.map((entry) => entry.seq));
    expect(seqs.length).toBeGreaterThan(25);
    expect((await page("?limit=1001")).status).toBe(400);
    expect((await page("?afterSeq=-1")).status).toBe(400);
  });

  it("a step output over 1 MiB is kept in R2 instead of the history, and the step completes", async () => {
    const run = await client.run("test-big-output", { bytes: 1_500_000 });
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ caught: null });
    expect(run.steps[0]).toMatchObject({ status: "completed", attempts: 1, outputBytes: 1_500_002 });
  });
});
