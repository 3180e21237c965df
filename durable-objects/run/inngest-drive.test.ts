/**
 * The real engine driving functions written with the real `inngest` SDK, over its Cloudflare
 * handler called in-process: the history Stepwise keeps, the attempts the app sees, and the
 * answers it gives, with no Worker in between.
 */
import { Inngest, NonRetriableError } from "inngest";
import { serve } from "inngest/cloudflare";
import { describe, expect, it } from "vitest";
import { inngestExecutor, type InngestSend } from "../../src/core/transport/inngest.ts";
import type { InngestMode } from "../../src/core/inngest/sync.ts";
import { decideWaitEvent, type EngineConfig } from "./engine.ts";
import type { HistoryEntry } from "./history.ts";
import { drive, type RunPorts } from "./runner.ts";
import { memoryJournal, memoryPorts } from "./memory-journal.test-support.ts";

const KEY = "signkey-test-0123456789abcdef0123456789abcdef";
const seen: { attempts: number[]; afterAttempts: number[]; calls: Record<string, number> } = {
  attempts: [],
  afterAttempts: [],
  calls: {},
};
const count = (name: string) => (seen.calls[name] = (seen.calls[name] ?? 0) + 1);

/** The app's functions, on a client of their own (the SDK's client keeps the mode, dev or cloud, it first saw). */
const appFunctions = (inngest: Inngest) => [
  inngest.createFunction({ id: "serial", triggers: [{ event: "demo/go" }] }, async ({ event, step }) => {
    const a = await step.run("first", () => (count("first"), Number(event.data.n)));
    const b = await step.run("second", () => (count("second"), a * 2));
    return step.run("third", () => (count("third"), { total: a + b }));
  }),
  inngest.createFunction({ id: "flaky", retries: 3, triggers: [{ event: "demo/go" }] }, async ({ step, attempt }) =>
    step.run("wobbly", () => {
      seen.attempts.push(attempt);
      if (attempt < 2) throw new Error(`not yet (${attempt})`);
      return "steady";
    }),
  ),
  inngest.createFunction({ id: "doomed", retries: 3, triggers: [{ event: "demo/go" }] }, async ({ step }) =>
    step.run("refuse", () => {
      throw new NonRetriableError("card declined");
    }),
  ),
  inngest.createFunction({ id: "sleepy", triggers: [{ event: "demo/go" }] }, async ({ step }) => {
    await step.sleep("nap", "1h");
    return step.run("after", () => "awake");
  }),
  inngest.createFunction({ id: "fan", triggers: [{ event: "demo/go" }] }, async ({ step }) =>
    Promise.all(["a", "b", "c"].map((id) => step.run(`part-${id}`, () => (count(`part-${id}`), id.toUpperCase())))),
  ),
  inngest.createFunction({ id: "race", triggers: [{ event: "demo/go" }] }, async ({ step }) =>
    Promise.race([
      step.run("slow", () => new Promise((resolve) => setTimeout(() => resolve("slow"), 60))),
      step.run("fast", () => "fast"),
    ]),
  ),
  inngest.createFunction({ id: "grouped-race", triggers: [{ event: "demo/go" }] }, async ({ step, group }) =>
    group.parallel(async () =>
      Promise.race([
        step.run("slow", () => new Promise((resolve) => setTimeout(() => resolve("slow"), 60))),
        step.run("fast", () => "fast"),
      ]),
    ),
  ),
  inngest.createFunction({ id: "approval", triggers: [{ event: "demo/go" }] }, async ({ step }) => {
    const approved = await step.waitForEvent("approval", {
      event: "demo/approved",
      timeout: "1h",
      if: "async.data.ok == true",
    });
    return approved ? approved.data : "timed out";
  }),
  inngest.createFunction(
    { id: "body-retry", retries: 2, triggers: [{ event: "demo/go" }] },
    async ({ step, attempt }) => {
      // A transient failure outside any step (on its first call only), then a step.
      if (count("body") === 1) throw new Error("the body fails its first call");
      return step.run("after", () => (seen.afterAttempts.push(attempt), "done"));
    },
  ),
  inngest.createFunction({ id: "loop", triggers: [{ event: "demo/go" }] }, async ({ step }) => {
    const out: number[] = [];
    for (let i = 0; i < 3; i++) out.push(await step.run("item", () => i));
    return out;
  }),
];

const URL_BASE = "https://app.test/api/inngest";
/** An app with its environment. */
function sendTo(env: Record<string, string>): InngestSend {
  const inngest = new Inngest({ id: "drive" });
  const handler = serve({ client: inngest, functions: appFunctions(inngest) }) as unknown as (
    request: Request,
    env: Record<string, string>,
  ) => Promise<Response>;
  return (query, init) =>
    handler(new Request(`${URL_BASE}?${query}`, { ...init, headers: { ...init.headers, host: "app.test" } }), env);
}

/** A run of `functionId` held in memory, driven by the real engine through the Inngest transport. */
function inngestRun(
  functionId: string,
  retries: number,
  mode: InngestMode = { kind: "dev" },
  appEnv: Record<string, string> = { INNGEST_DEV: "1" },
) {
  const { history, state, record } = memoryJournal(
    functionId,
    { id: "e1", name: "demo/go", data: { n: 2 }, ts: 0 },
    "r1",
  );
  const wakes: (number | undefined)[] = [];
  const stepName = (id: string) => state.steps.get(id)?.name ?? id;
  const ports: RunPorts = {
    ...memoryPorts(state, record, inngestExecutor(sendTo(appEnv), mode, retries, stepName)),
    setWake: async (at) => void wakes.push(at),
  };
  const config: EngineConfig = {
    retries,
    backoff: { initialMs: 1_000, coefficient: 2, maxMs: 60_000 },
    maxSteps: 100,
    maxOutputBytes: 1 << 20,
  };
  /** Drives until the run ends (skipping to each wake), at most `rounds` drives. */
  const toEnd = async (rounds = 10) => {
    for (let i = 0; i < rounds && !state.terminal; i++) {
      await drive(ports, config, { budgetMs: 10_000, skipTo: wakes.at(-1) ?? 0 });
      // As the RunObject does after a drive: a new wait is registered (here, with no event there yet).
      for (const step of state.steps.values()) {
        if (step.status === "waiting" && step.registered === false)
          ports.record([{ type: "step.wait-registered", stepId: step.id, name: step.name }]);
      }
    }
  };
  return { history, state, toEnd, record: ports.record };
}
const types = (history: HistoryEntry[]) => history.map((entry) => entry.type);

describe("the engine running functions of the real inngest SDK", () => {
  it("runs serial steps once each, memoized in Inngest's encoding, and names them as the user did", async () => {
    const run = inngestRun("drive-serial", 4);
    await run.toEnd();
    expect(run.state.terminal).toBe("completed");
    expect(run.state.output).toEqual({ total: 6 });
    expect(seen.calls).toMatchObject({ first: 1, second: 1, third: 1 });
    expect([...run.state.steps.values()].map((step) => step.name)).toEqual(["first", "second", "third"]);
    expect(types(run.history).filter((type) => type === "step.completed")).toHaveLength(3);
  });

  it("retries a failing step with the attempt counted per step, until it succeeds", async () => {
    const run = inngestRun("drive-flaky", 3);
    await run.toEnd();
    expect(run.state.output).toBe("steady");
    expect(seen.attempts).toEqual([0, 1, 2]);
    expect(types(run.history).filter((type) => type === "step.retrying")).toHaveLength(2);
  });

  it("fails the run at once on a NonRetriableError", async () => {
    const run = inngestRun("drive-doomed", 3);
    await run.toEnd();
    expect(run.state.terminal).toBe("failed");
    expect(types(run.history)).not.toContain("step.retrying");
    expect(run.state.error?.message).toContain("card declined");
  });

  it("sleeps an hour, then goes on", async () => {
    const run = inngestRun("drive-sleepy", 4);
    await run.toEnd(1);
    expect(types(run.history)).toContain("step.sleeping");
    const nap = [...run.state.steps.values()].find((step) => step.name === "nap");
    expect((nap?.until ?? 0) - Date.now()).toBeGreaterThan(3_500_000);
    await run.toEnd();
    expect(run.state.output).toBe("awake");
  });

  it("runs parallel steps, each once", async () => {
    const run = inngestRun("drive-fan", 4);
    await run.toEnd();
    expect(run.state.output).toEqual(["A", "B", "C"]);
    expect(seen.calls).toMatchObject({ "part-a": 1, "part-b": 1, "part-c": 1 });
  });

  it("lets the step that finished first win a Promise.race, as Inngest does", async () => {
    const run = inngestRun("drive-race", 4);
    await run.toEnd();
    expect(run.state.output).toBe("fast");
  });

  it("lets the first step win a race in group.parallel (race mode), both steps recorded", async () => {
    const run = inngestRun("drive-grouped-race", 4);
    await run.toEnd();
    expect(run.state.output).toBe("fast");
    expect([...run.state.steps.values()].map((step) => step.status)).toEqual(["completed", "completed"]);
  });

  it("waits for an event with Inngest's condition, and resumes with the event that matched", async () => {
    const run = inngestRun("drive-approval", 4);
    await run.toEnd(1);
    const [waiting] = [...run.state.steps.values()];
    expect(waiting).toMatchObject({
      name: "approval",
      status: "waiting",
      wait: { event: "demo/approved", if: "async.data.ok == true" },
    });
    expect((waiting?.wait?.until ?? 0) - Date.now()).toBeGreaterThan(3_500_000);
    run.record(
      decideWaitEvent(run.state, waiting!.id, 0, { id: "e2", name: "demo/approved", data: { ok: true }, ts: 1 }),
    );
    await run.toEnd();
    expect(run.state.output).toEqual({ ok: true });
  });

  it("resumes a wait that timed out with null", async () => {
    const run = inngestRun("drive-approval", 4);
    await run.toEnd();
    expect(run.state.output).toBe("timed out");
  });

  it("runs a step reached after the body's retry at the step's own first attempt", async () => {
    const run = inngestRun("drive-body-retry", 2);
    await run.toEnd();
    expect(run.state.output).toBe("done");
    expect(types(run.history)).toContain("run.retrying");
    expect(seen.afterAttempts).toEqual([0]);
  });

  it("gives a repeated step id a step of its own each time", async () => {
    const run = inngestRun("drive-loop", 4);
    await run.toEnd();
    expect(run.state.output).toEqual([0, 1, 2]);
    expect(new Set(run.state.steps.keys()).size).toBe(3);
  });

  it("reads a streamed answer (201) in cloud mode, checking the signature of the answer it wraps", async () => {
    const streamed = inngestRun(
      "drive-serial",
      0,
      { kind: "cloud", keys: [KEY] },
      { INNGEST_SIGNING_KEY: KEY, INNGEST_STREAMING: "true" },
    );
    await streamed.toEnd();
    expect(streamed.state.output).toEqual({ total: 6 });
  });

  it("signs its calls in cloud mode, and a run whose app holds another key fails its attempt, saying so", async () => {
    const signed = inngestRun("drive-serial", 0, { kind: "cloud", keys: [KEY] }, { INNGEST_SIGNING_KEY: KEY });
    await signed.toEnd();
    expect(signed.state.output).toEqual({ total: 6 });
    const refused = inngestRun(
      "drive-serial",
      0,
      { kind: "cloud", keys: [KEY] },
      { INNGEST_SIGNING_KEY: "signkey-test-ffff0000" },
    );
    await refused.toEnd();
    expect(refused.state.terminal).toBe("failed");
    expect(refused.state.error).toMatchObject({
      name: "ProtocolError",
      message: expect.stringContaining("refused Stepwise's signature"),
    });
  });
});
