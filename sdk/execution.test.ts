import { describe, expect, it, vi } from "vitest";
import { NonRetriableError, RetryAfterError } from "./errors.ts";
import { execute } from "./execution.ts";
import type { MemoStep } from "./protocol.ts";
import { fnOf, requestWith } from "./execution.test-support.ts";

const done = (output: unknown): MemoStep => ({ status: "completed", op: "run", output });

describe("execute", () => {
  it("runs a single new step in the same call and reports its result", async () => {
    let runs = 0;
    const fn = fnOf(async ({ step }) => step.run("a", () => (runs++, { x: 1 })));
    const response = await execute(fn, requestWith());
    expect(response).toMatchObject({ type: "steps", steps: [{ type: "ran", id: "a", output: { x: 1 } }] });
    expect(runs).toBe(1);
  });

  it("replays memoized steps without running them and finishes", async () => {
    let runs = 0;
    const fn = fnOf(async ({ step }) => {
      const a = await step.run("a", () => (runs++, 1));
      const b = await step.run("b", () => (runs++, 2));
      return (a as number) + (b as number);
    });
    expect(await execute(fn, requestWith({ a: done(1), b: done(2) }))).toEqual({ type: "completed", output: 3 });
    expect(runs).toBe(0);
  });

  it("numbers repeated ids deterministically", async () => {
    const fn = fnOf(async ({ step }) => {
      for (let i = 0; i < 3; i++) await step.run("same", () => i);
    });
    const response = await execute(fn, requestWith({ same: done(0), "same:1": done(1) }));
    expect(response).toMatchObject({ type: "steps", steps: [{ type: "ran", id: "same:2", output: 2 }] });
  });

  it("reports parallel steps as planned, then runs exactly the one asked for", async () => {
    const ran: string[] = [];
    const fn = fnOf(async ({ step }) =>
      Promise.all(["a", "b", "c"].map((id) => step.run(id, () => (ran.push(id), id)))),
    );
    const planned = await execute(fn, requestWith());
    expect(planned).toEqual({
      type: "steps",
      steps: ["a", "b", "c"].map((id) => ({ type: "planned", id, name: id, op: "run" })),
    });
    expect(ran).toEqual([]);
    expect(await execute(fn, requestWith({}, { runStep: "b", allowImmediate: false }))).toMatchObject({
      steps: [{ type: "ran", id: "b" }],
    });
    expect(ran).toEqual(["b"]);
  });

  it("does not run a lone new step while others are pending", async () => {
    const fn = fnOf(async ({ step }) => step.run("a", () => 1));
    expect(await execute(fn, requestWith({}, { allowImmediate: false }))).toEqual({
      type: "steps",
      steps: [{ type: "planned", id: "a", name: "a", op: "run" }],
    });
  });

  it("classifies step errors: retriable, non-retriable, retry-after", async () => {
    const at = Date.now() + 60_000;
    const cases: [() => never, object][] = [
      [
        () => {
          throw new Error("flaky");
        },
        { retriable: true },
      ],
      [
        () => {
          throw new NonRetriableError("no");
        },
        { retriable: false },
      ],
      [
        () => {
          throw new RetryAfterError("later", new Date(at));
        },
        { retriable: true, retryAt: at },
      ],
    ];
    for (const [body, expected] of cases) {
      const response = await execute(
        fnOf(async ({ step }) => step.run("s", body)),
        requestWith(),
      );
      expect(response).toMatchObject({ type: "steps", steps: [{ type: "errored", id: "s", ...expected }] });
    }
  });

  it("throws a step's final failure into the handler, where it can be caught", async () => {
    const failed: MemoStep = { status: "failed", op: "run", error: { name: "Error", message: "gone" } };
    const fn = fnOf(async ({ step }) => {
      try {
        await step.run("s", () => 1);
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(await execute(fn, requestWith({ s: failed }))).toEqual({
      type: "completed",
      output: 'Step "s" failed: Error: gone',
    });
  });

  it("reports a sleep with its wake time", async () => {
    const fn = fnOf(async ({ step }) => step.sleep("nap", "2h"));
    const before = Date.now();
    const response = await execute(fn, requestWith());
    expect(response.type).toBe("steps");
    const reached = response.type === "steps" ? response.steps[0] : undefined;
    expect(reached).toMatchObject({ type: "sleep", id: "nap" });
    expect(reached && "until" in reached ? reached.until - before : 0).toBeGreaterThanOrEqual(7_200_000);
  });

  it("fails clearly when the code no longer reaches a recorded step", async () => {
    const fn = fnOf(async ({ step }) => step.run("renamed", () => 1));
    const response = await execute(fn, requestWith({ original: done(1) }));
    expect(response).toMatchObject({ type: "failed", retriable: false, error: { name: "NonDeterminismError" } });
    expect(response.type === "failed" && response.error.message).toContain('"original"');
  });

  it("fails clearly when a recorded step changed kind", async () => {
    const fn = fnOf(async ({ step }) => step.sleep("s", "1s"));
    const response = await execute(fn, requestWith({ s: done(1) }));
    expect(response).toMatchObject({ type: "failed", retriable: false, error: { name: "NonDeterminismError" } });
  });

  it("rejects bad step arguments as non-retriable", async () => {
    const response = await execute(
      fnOf(async ({ step }) => step.sleep("s", "whenever")),
      requestWith(),
    );
    expect(response).toMatchObject({ type: "failed", retriable: false, error: { name: "InvalidDurationError" } });
  });

  it("logs from code before memoized steps only once, not on every replay", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    const fn = fnOf(async ({ step, logger }) => {
      logger.info("starting");
      await step.run("a", () => 1);
      logger.info("after a");
      await step.run("b", () => 2);
    });
    await execute(fn, requestWith({ a: done(1) }));
    expect(info.mock.calls.map((call) => call[1])).toEqual(["after a"]);
    info.mockRestore();
  });

  it("prints each line once per run when calls batch steps and run planned parallel steps", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    const fn = fnOf(async ({ step, logger }) => {
      logger.info("start");
      await step.run("a", () => (logger.info("in a"), 1));
      logger.info("after a");
      await step.sleep("nap", "1s");
      logger.info("fan out");
      await Promise.all(["p", "q"].map((id) => step.run(id, () => (logger.info(`in ${id}`), id))));
      logger.info("end");
    });
    // As the engine calls: a batch (runs a, then replays into the sleep and drops that replay), the
    // sleep's own call, the call that plans p and q, one call per planned step, and the last call.
    const memo: Record<string, MemoStep> = {};
    const batched = await execute(fn, requestWith(memo, { immediateBudgetMs: 1_000 }));
    expect(batched).toMatchObject({ type: "steps", steps: [{ type: "ran", id: "a" }] });
    memo.a = done(1);
    expect(await execute(fn, requestWith(memo))).toMatchObject({
      type: "steps",
      steps: [{ type: "sleep", id: "nap" }],
    });
    memo.nap = { status: "completed", op: "sleep", output: null };
    expect(await execute(fn, requestWith(memo))).toMatchObject({ type: "steps", steps: [{ id: "p" }, { id: "q" }] });
    for (const id of ["p", "q"]) {
      expect(await execute(fn, requestWith(memo, { runStep: id }))).toMatchObject({
        type: "steps",
        steps: [{ type: "ran", id }],
      });
    }
    memo.p = done("p");
    memo.q = done("q");
    expect(await execute(fn, requestWith(memo))).toMatchObject({ type: "completed" });
    expect(info.mock.calls.map((call) => call[1])).toEqual([
      "start",
      "in a",
      "after a",
      "fan out",
      "in p",
      "in q",
      "end",
    ]);
    info.mockRestore();
  });
});

describe("step timeouts", () => {
  it("fails an attempt that outlasts the step's timeout, retriably", async () => {
    const fn = fnOf(async ({ step }) =>
      step.run("slow", () => new Promise((resolve) => setTimeout(() => resolve("late"), 200)), { timeout: 20 }),
    );
    const response = await execute(fn, requestWith());
    expect(response).toMatchObject({
      type: "steps",
      steps: [{ type: "errored", id: "slow", retriable: true, error: { name: "StepTimeoutError" } }],
    });
  });

  it("with a batching budget, runs consecutive steps in one call and stops before a sleep", async () => {
    const runs: string[] = [];
    const fn = fnOf(async ({ step }) => {
      for (const id of ["a", "b", "c"]) await step.run(id, () => (runs.push(id), id.toUpperCase()));
      await step.sleep("nap", "1h");
      return step.run("d", () => runs.push("d"));
    });
    const response = await execute(fn, requestWith({}, { immediateBudgetMs: 1_000 }));
    expect(response).toMatchObject({
      type: "steps",
      steps: [
        { id: "a", output: "A" },
        { id: "b", output: "B" },
        { id: "c", output: "C" },
      ],
    });
    expect(response.type === "steps" && response.steps.every((step) => step.type === "ran")).toBe(true);
    expect(runs).toEqual(["a", "b", "c"]);
    expect(await execute(fn, requestWith())).toMatchObject({ type: "steps", steps: [{ id: "a" }] });
  });

  it("a batch ends with the step that failed, and never runs past it", async () => {
    const runs: string[] = [];
    const fn = fnOf(async ({ step }) => {
      await step.run("a", () => runs.push("a"));
      await step.run("b", () => {
        runs.push("b");
        throw new Error("b broke");
      });
      await step.run("c", () => runs.push("c"));
    });
    const response = await execute(fn, requestWith({}, { immediateBudgetMs: 1_000 }));
    expect(response).toMatchObject({
      type: "steps",
      steps: [
        { type: "ran", id: "a" },
        { type: "errored", id: "b", error: { message: "b broke" } },
      ],
    });
    expect(runs).toEqual(["a", "b"]);
  });
});
