import { describe, expect, it } from "vitest";
import { Stepwise } from "../../sdk/client.ts";
import { execute } from "../../sdk/execution.ts";
import type { StepwiseFunction } from "../../sdk/function.ts";
import type { RunEvent } from "../../sdk/protocol.ts";
import type { EngineConfig } from "./engine.ts";
import type { HistoryEvent } from "./history.ts";
import { driveRun, WATCHDOG_MS, type HostPorts } from "./runner.ts";
import { MAX_STEPS_PER_CALL } from "./requests.ts";
import { memoryJournal, memoryPorts } from "./memory-journal.test-support.ts";

const config: EngineConfig = {
  retries: 0,
  backoff: { initialMs: 1_000, coefficient: 2, maxMs: 60_000 },
  maxSteps: 100,
  maxOutputBytes: 1 << 20,
};
const client = new Stepwise({ id: "unit" });

/** A run in memory with every host port recorded, so a test sees what one drive asked of its host. */
function hostedRun(
  fn: StepwiseFunction,
  host: { early?: RunEvent; parentFails?: boolean; announces?: "yes" | "fails" } = {},
) {
  const { history, state, record } = memoryJournal(fn.id);
  const asked: string[] = [];
  const wakes: (number | undefined)[] = [];
  const ports: HostPorts = {
    ...memoryPorts(state, record, (request, live) => execute(fn, request, live)),
    batches: { max: MAX_STEPS_PER_CALL, live: true },
    releaseSlots: async () => void asked.push("releaseSlots"),
    setWake: async (at) => void wakes.push(at),
    registerCancelOn: async () => (asked.push("registerCancelOn"), null),
    cancel: async (reason) => void record([{ type: "run.cancelled", reason }]),
    registerWaits: async (take) => {
      asked.push("registerWaits");
      for (const step of state.steps.values())
        if (step.status === "waiting" && step.registered === false) take(step, 0, host.early ?? null);
    },
    flushIndex: async () => void asked.push("flushIndex"),
    cancelChildren: async () => void asked.push("cancelChildren"),
    forgetWaits: async () => void asked.push("forgetWaits"),
    startFailureRun: async () => (asked.push("startFailureRun"), "r.failure"),
    notifyParent: async () => {
      asked.push("notifyParent");
      if (host.parentFails) throw new Error("parent unreachable");
      return false;
    },
    announceEnd: async () => {
      asked.push("announceEnd");
      if (host.announces === "fails") throw new Error("D1 unreachable");
      return host.announces === "yes";
    },
  };
  return { history, state, asked, wakes, ports };
}

describe("driveRun", () => {
  it("arms the watchdog, drives, and settles an ended run once: index, children, waits, parent", async () => {
    const fn = client.createFunction({ id: "done" }, [], async ({ step }) => step.run("a", () => 1));
    const run = hostedRun(fn);
    await driveRun(run.ports, config, { watchdog: true });
    expect(run.state.terminal).toBe("completed");
    expect(run.wakes[0]! - Date.now()).toBeGreaterThan(WATCHDOG_MS - 5_000);
    expect(run.asked).toEqual([
      "releaseSlots",
      "flushIndex",
      "cancelChildren",
      "forgetWaits",
      "notifyParent",
      "announceEnd",
    ]);
    // A drive of a run already ended only settles what it still owes: no second cancel of children.
    run.asked.length = 0;
    await driveRun(run.ports, config, { watchdog: true });
    expect(run.asked).toEqual(["flushIndex", "notifyParent", "announceEnd"]);
  });

  it("announces an ended run's end once, and when the announcement fails, wakes to try again", async () => {
    const fn = client.createFunction({ id: "announced" }, [], async ({ step }) => step.run("a", () => 1));
    const run = hostedRun(fn, { announces: "yes" });
    await driveRun(run.ports, config, { watchdog: false });
    await driveRun(run.ports, config, { watchdog: false });
    expect(run.asked.filter((port) => port === "announceEnd")).toHaveLength(1);
    expect(run.history.filter((entry) => entry.type === "run.end-announced")).toHaveLength(1);
    const failing = hostedRun(fn, { announces: "fails" });
    await driveRun(failing.ports, config, { watchdog: false });
    expect(failing.state.endAnnounced).toBeUndefined();
    expect(failing.wakes.at(-1)! - Date.now()).toBeGreaterThan(1_000);
    // A day after the end it gives up, and says so.
    const later = Date.now() + 25 * 3_600_000;
    await driveRun({ ...failing.ports, now: () => later }, config, { watchdog: false });
    expect(failing.history.at(-1)).toMatchObject({ type: "run.end-announced", abandoned: "D1 unreachable" });
  });

  it("drives an embedded function live: its handler runs once, each step recorded in order as it ends", async () => {
    let entered = 0;
    const fn = client.createFunction({ id: "live" }, [], async ({ step }) => {
      entered++;
      let last = 0;
      for (let i = 0; i < 20; i++) last = await step.run("step", () => i);
      return last;
    });
    const run = hostedRun(fn);
    await driveRun(run.ports, config, { watchdog: false });
    expect(run.state.output).toBe(19);
    // Once for the steps, once more only if the drive had to reach the return again.
    expect(entered).toBe(1);
    const completed = run.history.filter((entry) => entry.type === "step.completed");
    expect(completed.map((entry) => entry.type === "step.completed" && entry.output)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it("runs a fan-out's planned steps together: three calls of the handler for fifty parallel steps", async () => {
    let entered = 0;
    const fn = client.createFunction({ id: "fan" }, [], async ({ step }) => {
      entered++;
      const parts = await Promise.all(Array.from({ length: 50 }, (_, i) => step.run(`part-${i}`, () => i)));
      return parts.reduce((sum, part) => sum + part, 0);
    });
    const run = hostedRun(fn);
    await driveRun(run.ports, config, { watchdog: false });
    expect(run.state.output).toBe(1_225);
    // Discovery, the batch, and the replay that returns: not one replay per step.
    expect(entered).toBe(3);
    expect(run.history.filter((entry) => entry.type === "step.completed")).toHaveLength(50);
  });

  it("keeps every lane of a limited fan-out busy: a freed slot takes the next step in the same call", async () => {
    let entered = 0;
    let running = 0;
    let most = 0;
    const fn = client.createFunction({ id: "limited-fan" }, [], async ({ step }) => {
      entered++;
      const parts = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          step.run(`part-${i}`, async () => {
            most = Math.max(most, ++running);
            await new Promise((resolve) => setTimeout(resolve, 1 + (i % 4)));
            running--;
            return i;
          }),
        ),
      );
      return parts.reduce((sum, part) => sum + part, 0);
    });
    const run = hostedRun(fn);
    const asked: number[] = [];
    // Three slots, as a concurrency limit of 3 grants them.
    const held = new Set<string>();
    run.ports.maxLanes = 3;
    run.ports.acquireSlots = async (names) => {
      asked.push(names.length);
      for (const name of names) if (held.size < 3) held.add(name);
      return names.filter((name) => held.has(name));
    };
    await driveRun(run.ports, config, { watchdog: false });
    expect(run.state.output).toBe(435);
    expect(most).toBe(3);
    // Discovery, one call for all thirty steps three at a time, and the replay that returns.
    expect(entered).toBe(3);
    expect(asked).toEqual([1, 2]);
    expect(run.history.filter((entry) => entry.type === "step.completed")).toHaveLength(30);
  });

  it("stops a live handler once a step passes the run's step limit, or its finish deadline", async () => {
    const ran: number[] = [];
    const fn = client.createFunction({ id: "long" }, [], async ({ step }) => {
      for (let i = 0; i < 10; i++) await step.run("step", () => (ran.push(i), i));
      return "all";
    });
    const limited = hostedRun(fn);
    await driveRun(limited.ports, { ...config, maxSteps: 5 }, { watchdog: false });
    expect(limited.state.terminal).toBe("failed");
    expect(limited.state.error?.name).toBe("LimitExceededError");
    // The sixth step's code ran (it is what went past the limit); nothing after it did.
    expect(ran).toEqual([0, 1, 2, 3, 4, 5]);

    ran.length = 0;
    const timed = hostedRun(fn);
    let clock = Date.now();
    timed.ports.now = () => (clock += 1_000);
    await driveRun(timed.ports, { ...config, finishTimeoutMs: 2_500 }, { watchdog: false });
    expect(timed.state.error?.name).toBe("FunctionTimeoutError");
    expect(ran.length).toBeLessThan(10);
  });

  it("stops a live handler at the next step once the run is cancelled from outside", async () => {
    let record: ((events: HistoryEvent[]) => void) | undefined;
    const ran: number[] = [];
    const fn = client.createFunction({ id: "cancelled-live" }, [], async ({ step }) => {
      for (let i = 0; i < 10; i++)
        await step.run("step", () => {
          ran.push(i);
          // A cancel arriving while step 3 runs (an RPC interleaved at the step's await).
          if (i === 3) record?.([{ type: "run.cancelled", reason: "by hand" }]);
          return i;
        });
      return "all";
    });
    const run = hostedRun(fn);
    record = run.ports.record;
    await driveRun(run.ports, config, { watchdog: false });
    expect(run.state.terminal).toBe("cancelled");
    expect(ran).toEqual([0, 1, 2, 3]);
  });

  it("registers a wait after the drive, and an event already there resumes the run in the same drive", async () => {
    const fn = client.createFunction({ id: "waits" }, [], async ({ step }) => {
      const approval = await step.waitForEvent("approval", { event: "approved", timeout: "1h" });
      return approval?.data ?? null;
    });
    const run = hostedRun(fn, { early: { id: "x", name: "approved", data: { ok: true }, ts: 1 } });
    await driveRun(run.ports, config, { watchdog: false });
    expect(run.state.terminal).toBe("completed");
    expect(run.state.output).toEqual({ ok: true });
    expect(run.asked.filter((port) => port === "registerWaits")).toHaveLength(1);
  });

  it("marks a wait registered when no event is there yet, and the run stays waiting", async () => {
    const fn = client.createFunction({ id: "waits-on" }, [], async ({ step }) =>
      step.waitForEvent("approval", { event: "approved", timeout: "1h" }),
    );
    const run = hostedRun(fn);
    await driveRun(run.ports, config, { watchdog: false });
    expect(run.state.terminal).toBeUndefined();
    expect(run.history.map((entry) => entry.type)).toContain("step.wait-registered");
    expect(run.asked).not.toContain("cancelChildren");
  });

  it("starts the onFailure run once after a final failure, and records it", async () => {
    const fn = client.createFunction({ id: "fails", retries: 0 }, [], async ({ step }) =>
      step.run("boom", () => {
        throw new Error("boom");
      }),
    );
    const run = hostedRun(fn);
    await driveRun(run.ports, config, { watchdog: false });
    expect(run.state.terminal).toBe("failed");
    expect(run.state.failureRunId).toBe("r.failure");
    await driveRun(run.ports, config, { watchdog: false });
    expect(run.asked.filter((port) => port === "startFailureRun")).toHaveLength(1);
  });

  it("retries telling an unreachable parent through the alarm", async () => {
    const fn = client.createFunction({ id: "child" }, [], async () => "ok");
    const run = hostedRun(fn, { parentFails: true });
    await driveRun(run.ports, config, { watchdog: false });
    expect(run.state.terminal).toBe("completed");
    expect(run.wakes.at(-1)! - Date.now()).toBeGreaterThan(3_000);
  });
});
