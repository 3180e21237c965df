import { describe, expect, it, vi } from "vitest";
import { Stepwise } from "../../sdk/client.ts";
import { execute } from "../../sdk/execution.ts";
import type { StepwiseFunction } from "../../sdk/function.ts";
import { decideChildren, type EngineConfig } from "./engine.ts";
import { drive, type RunPorts } from "./runner.ts";
import { SLOT_RENEW_MS } from "./slot-lanes.ts";
import { memoryJournal } from "./memory-journal.test-support.ts";
import { runStatus } from "./state.ts";
import { runSpanIdOf, traceIdOfRun } from "./trace.ts";

const config: EngineConfig = {
  retries: 2,
  backoff: { initialMs: 1_000, coefficient: 2, maxMs: 60_000 },
  maxSteps: 100,
  maxOutputBytes: 1 << 20,
};
const client = new Stepwise({ id: "unit" });

/** A run held in memory: the history as a list, the state folded from it, the SDK called directly. */
function memoryRun(fn: StepwiseFunction) {
  const { history, state, record } = memoryJournal(fn.id);
  const wakes: (number | undefined)[] = [];
  const sent: unknown[][] = [];
  const started: string[] = [];
  /** How many sends fail (retriably) before one goes through. */
  const sendFailures = { left: 0 };
  let calls = 0;
  const ports: RunPorts = {
    state: () => state,
    record,
    execute: (request) => (calls++, execute(fn, request)),
    sendEvents: async (step) => {
      if (sendFailures.left-- > 0)
        return { ok: false, error: { name: "Error", message: "queue down" }, retriable: true };
      sent.push(step.events ?? []);
      return { ok: true, ids: (step.events ?? []).map((_, i) => `${step.id}-${i}`) };
    },
    childRunIds: async (step) => (step.invoke?.children ?? []).map((_, i) => `${step.id}-${step.failures}-child-${i}`),
    startChildren: async (step) => void started.push(...(step.childRunIds ?? [])),
    admit: async () => undefined,
    acquireSlots: async (stepIds) => stepIds,
    releaseSlots: async () => undefined,
    setWake: async (at) => void wakes.push(at),
    now: () => Date.now(),
    random: () => 0.5,
  };
  return { history, state, wakes, ports, sent, started, sendFailures, calls: () => calls };
}

describe("drive", () => {
  it("runs parallel steps of a handler that awaits before them, each call seeing the memo as its batch began", async () => {
    const fn = client.createFunction({ id: "await-then-parallel" }, [], async ({ step }) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return Promise.all([
        step.run("a", () => "A"),
        step.run("b", () => new Promise((resolve) => setTimeout(() => resolve("B"), 40))),
      ]);
    });
    const run = memoryRun(fn);
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(run.state.terminal).toBe("completed");
    expect(run.state.output).toEqual(["A", "B"]);
  });

  it("runs sequential steps in one drive, one SDK call per step, then clears the wake", async () => {
    const fn = client.createFunction({ id: "seq" }, [], async ({ step }) => {
      const a = await step.run("a", () => 1);
      const b = await step.run("b", () => 2);
      return a + b;
    });
    const run = memoryRun(fn);
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(run.state.terminal).toBe("completed");
    expect(run.state.output).toBe(3);
    expect(run.calls()).toBe(3);
    expect(run.wakes).toEqual([undefined]);
    expect(run.history.map((entry) => entry.type)).toEqual([
      "run.created",
      "run.started",
      "step.completed",
      "step.completed",
      "run.completed",
    ]);
  });

  it("stops at a sleep with the wake armed, and finishes when time is skipped to it", async () => {
    const fn = client.createFunction({ id: "sleepy" }, [], async ({ step }) => {
      await step.sleep("nap", "1h");
      return step.run("after", () => "awake");
    });
    const run = memoryRun(fn);
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(runStatus(run.state)).toBe("sleeping");
    const wake = run.wakes.at(-1) ?? 0;
    expect(wake - Date.now()).toBeGreaterThan(3_500_000);
    await drive(run.ports, config, { budgetMs: 10_000, skipTo: wake });
    expect(run.state.output).toBe("awake");
    expect(run.history.find((entry) => entry.type === "step.woken")).toMatchObject({ early: true });
  });

  it("executes parallel steps each once and records each", async () => {
    const ran: string[] = [];
    const fn = client.createFunction({ id: "par" }, [], async ({ step }) =>
      Promise.all(["x", "y", "z"].map((id) => step.run(id, () => (ran.push(id), id.toUpperCase())))),
    );
    const run = memoryRun(fn);
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(run.state.output).toEqual(["X", "Y", "Z"]);
    expect(ran.sort()).toEqual(["x", "y", "z"]);
    expect(run.history.filter((entry) => entry.type === "step.scheduled")).toHaveLength(3);
  });

  it("carries out a send step itself, once, retrying the send alone when it fails", async () => {
    const fn = client.createFunction({ id: "sender" }, [], async ({ step }) => {
      const sent = await step.sendEvent("notify", [{ name: "a/b", data: { n: 1 } }, { name: "a/c" }]);
      return step.run("after", () => sent.ids);
    });
    const run = memoryRun(fn);
    run.sendFailures.left = 1;
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(run.state.steps.get("notify")?.status).toBe("retrying");
    await drive(run.ports, config, { budgetMs: 10_000, skipTo: run.wakes.at(-1) ?? 0 });
    expect(run.state.output).toEqual(["notify-0", "notify-1"]);
    expect(run.sent).toEqual([[{ name: "a/b", data: { n: 1 } }, { name: "a/c" }]]);
  });

  it("waits for an event with its timeout armed, and returns null when the timeout passes", async () => {
    const fn = client.createFunction({ id: "waiter" }, [], async ({ step }) => {
      const approval = await step.waitForEvent("approval", {
        event: "invoice/approved",
        timeout: "7 days",
        match: "data.invoiceId",
      });
      return approval ? "approved" : "timed out";
    });
    const run = memoryRun(fn);
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(runStatus(run.state)).toBe("waiting");
    const step = run.state.steps.get("approval");
    expect(step?.wait).toMatchObject({ event: "invoice/approved", if: "event.data.invoiceId == async.data.invoiceId" });
    // Until the wait is in its WaitIndex the run is due at once, so a crash cannot leave it unregistered.
    expect(run.wakes.at(-1)).toBeLessThanOrEqual(Date.now());
    run.ports.record([{ type: "step.wait-registered", stepId: "approval", name: "approval" }]);
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(run.wakes.at(-1)).toBe(step?.until);
    await drive(run.ports, config, { budgetMs: 10_000, skipTo: step?.until ?? 0 });
    expect(run.state.output).toBe("timed out");
    expect(run.history.find((entry) => entry.type === "step.completed" && entry.stepId === "approval")).toMatchObject({
      timedOut: true,
      output: null,
    });
  });

  it("invokes a child, waits for it, retries the step with a new child when it fails, and takes its output", async () => {
    const fn = client.createFunction({ id: "parent" }, [], async ({ step }) =>
      step.invoke<string>("child", { function: "child-fn", data: { n: 1 } }),
    );
    const run = memoryRun(fn);
    const childEnds = (
      runId: string,
      outcome: { ok: true; output: unknown } | { ok: false; error: { name: string; message: string } },
    ) => {
      run.ports.record([{ type: "step.child-ended", stepId: "child", name: "child", outcome: { runId, ...outcome } }]);
      run.ports.record(decideChildren(run.state, "child", config, { now: Date.now(), random: () => 0.5 }));
    };
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(runStatus(run.state)).toBe("waiting");
    expect(run.started).toEqual(["child-0-child-0"]);
    expect(run.history.map((entry) => entry.type).slice(-3)).toEqual([
      "step.scheduled",
      "step.invoking",
      "step.children-started",
    ]);
    childEnds("child-0-child-0", { ok: false, error: { name: "Error", message: "child broke" } });
    expect(run.state.steps.get("child")?.status).toBe("retrying");
    await drive(run.ports, config, { budgetMs: 10_000, skipTo: run.state.steps.get("child")?.retryAt ?? 0 });
    expect(run.started).toEqual(["child-0-child-0", "child-1-child-0"]);
    childEnds("child-0-child-0", { ok: true, output: "stale" });
    expect(run.state.steps.get("child")?.status).toBe("invoking");
    childEnds("child-1-child-0", { ok: true, output: "from the child" });
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(run.state.output).toBe("from the child");
  });

  it("invokeMany returns every child's outcome in order, failures included", async () => {
    const fn = client.createFunction({ id: "fan" }, [], async ({ step }) =>
      step.invokeMany("sections", [{ function: "a" }, { function: "b", data: { x: 1 } }]),
    );
    const run = memoryRun(fn);
    await drive(run.ports, config, { budgetMs: 10_000 });
    const [a, b] = run.started;
    for (const outcome of [
      { runId: b!, ok: false as const, error: { name: "Error", message: "no" } },
      { runId: a!, ok: true as const, output: "A" },
    ]) {
      run.ports.record([{ type: "step.child-ended", stepId: "sections", name: "sections", outcome }]);
    }
    run.ports.record(decideChildren(run.state, "sections", config, { now: Date.now(), random: () => 0.5 }));
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(run.state.output).toEqual([
      { ok: true, runId: a, output: "A" },
      { ok: false, runId: b, error: { name: "Error", message: "no" } },
    ]);
  });

  it("arms the wake at a failed step's backoff and retries only that step", async () => {
    let attempts = 0;
    let before = 0;
    const fn = client.createFunction({ id: "flaky" }, [], async ({ step }) => {
      await step.run("before", () => ++before);
      return step.run("flaky", () => {
        if (++attempts < 2) throw new Error("try again");
        return "ok";
      });
    });
    const run = memoryRun(fn);
    await drive(run.ports, config, { budgetMs: 10_000 });
    const retryAt = run.wakes.at(-1) ?? 0;
    expect(retryAt - Date.now()).toBeGreaterThan(500);
    expect(retryAt - Date.now()).toBeLessThanOrEqual(1_000);
    await drive(run.ports, config, { budgetMs: 10_000, skipTo: retryAt });
    expect(run.state.output).toBe("ok");
    expect([before, attempts]).toEqual([1, 2]);
  });

  it("many timers in one run: 50 sleeps, each armed in turn, each woken once, none lost", async () => {
    const fn = client.createFunction({ id: "many-timers" }, [], async ({ step }) => {
      let ticks = 0;
      for (let i = 0; i < 50; i++) {
        await step.sleep(`tick-${i}`, `${i + 1}m`);
        ticks = await step.run(`count-${i}`, () => ticks + 1);
      }
      return ticks;
    });
    const run = memoryRun(fn);
    await drive(run.ports, config, { budgetMs: 10_000 });
    let wakes = 0;
    while (!run.state.terminal && wakes < 100) {
      const at = run.wakes.at(-1);
      expect(at).toBeGreaterThan(Date.now());
      await drive(run.ports, config, { budgetMs: 10_000, skipTo: at });
      wakes++;
    }
    expect([run.state.output, wakes]).toEqual([50, 50]);
    expect(run.history.filter((entry) => entry.type === "step.woken")).toHaveLength(50);
  });

  it("hands the function its run's span as a W3C traceparent, for its own calls", async () => {
    const fn = client.createFunction({ id: "traced" }, [], async ({ traceparent }) => traceparent);
    const run = memoryRun(fn);
    await drive(run.ports, config, { budgetMs: 10_000 });
    const output = run.state.output as string;
    expect(output).toBe(`00-${traceIdOfRun(run.state)}-${runSpanIdOf(run.state.runId)}-01`);
  });

  it("a run held by a paused function still ends at its timeouts.finish", async () => {
    const fn = client.createFunction({ id: "held-past-finish" }, [], async ({ step }) => {
      await step.run("a", () => "A");
      return step.run("b", () => "B");
    });
    const run = memoryRun(fn);
    let paused = false;
    const started = Date.now();
    const ports: RunPorts = {
      ...run.ports,
      control: async () => (paused ? { mode: "paused" as const, since: started } : undefined),
    };
    const config2 = { ...config, finishTimeoutMs: 60_000 };
    // The first step runs, then the function is paused: the run holds before the second.
    ports.execute = (request) => {
      paused = true;
      return run.ports.execute(request);
    };
    await drive(ports, config2, { budgetMs: 10_000 });
    expect(run.state.heldReason).toContain("paused");
    const finishBy = run.state.finishBy!;
    expect(finishBy).toBeGreaterThanOrEqual(started + 60_000);
    // Its next check comes no later than its deadline; at the deadline, it fails though still paused.
    expect(run.wakes.at(-1)).toBeLessThanOrEqual(finishBy);
    await drive(ports, config2, { budgetMs: 10_000, skipTo: finishBy });
    expect(runStatus(run.state)).toBe("failed");
    expect(run.state.error).toMatchObject({ name: "FunctionTimeoutError" });
    expect(run.wakes.at(-1)).toBeUndefined();
  });

  it("holds a concurrency slot across a drive's consecutive steps: one ask and one release per drive", async () => {
    const fn = client.createFunction({ id: "three" }, [], async ({ step }) => {
      const a = await step.run("a", () => 1);
      const b = await step.run("b", () => a + 1);
      await step.sleep("nap", "1m");
      return step.run("c", () => b + 1);
    });
    const run = memoryRun(fn);
    const asked: string[][] = [];
    let released = 0;
    run.ports.acquireSlots = async (names) => (asked.push(names), names);
    run.ports.releaseSlots = async () => void released++;
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(run.state.steps.get("nap")?.status).toBe("sleeping");
    expect([asked, released]).toEqual([[["~lane-0"]], 1]);
    await drive(run.ports, config, { budgetMs: 10_000, skipTo: run.wakes.at(-1) ?? 0 });
    expect(run.state.output).toBe(3);
    expect([asked.length, released]).toEqual([2, 2]);
  });

  it("parallel steps take a lane each, and a run with no lane free waits in line keeping its place", async () => {
    const fn = client.createFunction({ id: "fan" }, [], async ({ step }) =>
      Promise.all([step.run("x", () => 1), step.run("y", () => 2), step.run("z", () => 3)]),
    );
    const run = memoryRun(fn);
    const free = { lanes: 0 };
    const asked: string[][] = [];
    let released = 0;
    const held = new Set<string>();
    run.ports.acquireSlots = async (names) => {
      asked.push(names);
      for (const name of names) if (held.size < free.lanes) held.add(name);
      return names.filter((name) => held.has(name));
    };
    run.ports.releaseSlots = async () => void (released++, held.clear());
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(runStatus(run.state)).toBe("queued");
    expect(released).toBe(0);
    const recheck = (run.wakes.at(-1) ?? 0) - Date.now();
    expect(recheck).toBeGreaterThan(4 * 60_000);
    free.lanes = 2;
    await drive(run.ports, config, { budgetMs: 10_000 });
    expect(run.state.output).toEqual([1, 2, 3]);
    // The body on lane 0, then x and y on lanes 0-1 while z waits for lane 2, then z on a lane
    // already held, asking nothing.
    expect(asked).toEqual([["~lane-0"], ["~lane-0"], ["~lane-1", "~lane-2"]]);
    expect(released).toBe(1);
  });

  it("a step longer than the slot lease renews its slot while it runs, and stops renewing when it ends", async () => {
    vi.useFakeTimers();
    try {
      let finish: (value: string) => void = () => undefined;
      const fn = client.createFunction({ id: "long" }, [], async ({ step }) =>
        step.run("slow", () => new Promise<string>((resolve) => (finish = resolve))),
      );
      const run = memoryRun(fn);
      const asked: string[][] = [];
      run.ports.acquireSlots = async (stepIds) => (asked.push(stepIds), stepIds);
      const driving = drive(run.ports, config, { budgetMs: 10 * 60_000 });
      await vi.advanceTimersByTimeAsync(3 * SLOT_RENEW_MS + 1_000);
      const renewals = asked.length - 1;
      expect(renewals).toBe(3);
      finish("done");
      await driving;
      const afterEnd = asked.length;
      await vi.advanceTimersByTimeAsync(3 * SLOT_RENEW_MS);
      expect(asked.length).toBe(afterEnd);
      expect(run.state.terminal).toBe("completed");
    } finally {
      vi.useRealTimers();
    }
  });
});
