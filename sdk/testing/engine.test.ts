/**
 * The in-memory TestEngine with run steps: real code and mocks, retries without backoff,
 * non-retriable errors, parallel steps, and stopping at a step.
 */
import { describe, expect, it } from "vitest";
import { NonRetriableError, RetryAfterError, Stepwise } from "../index.ts";
import { TestEngine, TestEngineError } from "./index.ts";

const stepwise = new Stepwise({ id: "test" });

/** A user lookup, then a greeting built from it. */
function greeter(calls: string[]) {
  return stepwise.createFunction<{ userId: number }>(
    { id: "greeter" },
    { event: "app/user.created" },
    async ({ event, step }) => {
      const user = await step.run("fetch-user", () => {
        calls.push("fetch-user");
        return { id: event.data.userId, name: "Ada", joined: new Date(0) };
      });
      const greeting = await step.run("greet", () => {
        calls.push("greet");
        return `Hello ${user.name} (${user.id})`;
      });
      return { greeting, joined: user.joined };
    },
  );
}

describe("TestEngine: run steps", () => {
  it("runs each step's real code once and returns the function's output, as JSON", async () => {
    const calls: string[] = [];
    const t = new TestEngine(greeter(calls), { events: [{ name: "app/user.created", data: { userId: 7 } }] });
    const { status, result, steps, state, ctx } = await t.execute();
    expect(status).toBe("completed");
    expect(result).toEqual({ greeting: "Hello Ada (7)", joined: "1970-01-01T00:00:00.000Z" });
    expect(calls).toEqual(["fetch-user", "greet"]);
    expect(steps.map((s) => [s.id, s.op, s.status, s.attempts, s.mocked])).toEqual([
      ["fetch-user", "run", "completed", 1, false],
      ["greet", "run", "completed", 1, false],
    ]);
    expect(state["fetch-user"]?.output).toEqual({ id: 7, name: "Ada", joined: "1970-01-01T00:00:00.000Z" });
    expect(ctx.event).toMatchObject({ name: "app/user.created", data: { userId: 7 } });
  });

  it("a mocked step returns the mock and its code does not run; execute() mocks win over the engine's", async () => {
    const calls: string[] = [];
    const t = new TestEngine(greeter(calls), {
      steps: [{ id: "fetch-user", handler: () => ({ id: 1, name: "Engine" }) }],
    });
    expect((await t.execute()).result).toEqual({ greeting: "Hello Engine (1)" });
    const run = await t.execute({ steps: [{ id: "fetch-user", handler: () => ({ id: 2, name: "Grace" }) }] });
    expect(run.result).toEqual({ greeting: "Hello Grace (2)" });
    expect(run.state["fetch-user"]).toMatchObject({ mocked: true, output: { id: 2, name: "Grace" } });
    expect(calls).toEqual(["greet", "greet"]);
  });

  it("a failing step is retried up to `retries` at once, with no backoff", async () => {
    let attempts = 0;
    const fn = stepwise.createFunction({ id: "flaky", retries: 3, backoff: { initial: "1h" } }, [], async ({ step }) =>
      step.run("call-api", () => {
        if (++attempts < 3) throw new Error(`attempt ${attempts} failed`);
        return "ok";
      }),
    );
    const started = Date.now();
    const { result, state } = await new TestEngine(fn).execute();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result).toBe("ok");
    expect(state["call-api"]).toMatchObject({ status: "completed", attempts: 3 });
    expect(state["call-api"]?.errors.map((e) => e.message)).toEqual(["attempt 1 failed", "attempt 2 failed"]);
  });

  it("a step failing every attempt fails for good; the function sees a StepError", async () => {
    const fn = stepwise.createFunction({ id: "broken", retries: 2 }, [], async ({ step }) =>
      step.run("call-api", () => Promise.reject(new RetryAfterError("busy", 3_600_000))),
    );
    const { status, error, state } = await new TestEngine(fn).execute();
    expect(status).toBe("failed");
    expect(error).toMatchObject({ name: "StepError", message: 'Step "call-api" failed: RetryAfterError: busy' });
    expect(state["call-api"]).toMatchObject({ status: "failed", attempts: 3, error: { name: "RetryAfterError" } });
  });

  it("a NonRetriableError fails the step at once, from code or from a mock", async () => {
    const fn = stepwise.createFunction({ id: "final", retries: 5 }, [], async ({ step }) => {
      try {
        await step.run("charge", () => {
          throw new NonRetriableError("card declined");
        });
      } catch (error) {
        return `caught: ${(error as Error).message}`;
      }
    });
    const real = await new TestEngine(fn).execute();
    expect(real.result).toBe('caught: Step "charge" failed: NonRetriableError: card declined');
    expect(real.state.charge?.attempts).toBe(1);
    const seen: number[] = [];
    const mocked = await new TestEngine(fn).execute({
      steps: [
        {
          id: "charge",
          handler: ({ attempt }) => (seen.push(attempt), Promise.reject(new NonRetriableError("mock declined"))),
        },
      ],
    });
    expect(mocked.result).toBe('caught: Step "charge" failed: NonRetriableError: mock declined');
    expect(seen).toEqual([0]);
  });

  it("an error thrown outside steps retries the function body, then fails it", async () => {
    const fn = stepwise.createFunction({ id: "body-fails", retries: 2 }, [], async ({ step, attempt }) => {
      await step.run("before", () => "done");
      throw new Error(`body failed on attempt ${attempt}`);
    });
    const { status, error, attempts, ctx, state } = await new TestEngine(fn).execute();
    expect([status, attempts, ctx.attempt]).toEqual(["failed", 3, 2]);
    expect(error?.message).toBe("body failed on attempt 2");
    expect(state.before?.attempts).toBe(1);
  });

  it("steps reached together (Promise.all) all run, each once, repeated ids counting up", async () => {
    const ran: number[] = [];
    const fn = stepwise.createFunction({ id: "fan-out" }, [], async ({ step }) => {
      const parts = await Promise.all([1, 2, 3].map((n) => step.run("part", () => (ran.push(n), n * 10))));
      return step.run("sum", () => parts.reduce((a, b) => a + b, 0));
    });
    const { result, steps } = await new TestEngine(fn).execute();
    expect(result).toBe(60);
    expect(ran.sort()).toEqual([1, 2, 3]);
    expect(steps.map((s) => [s.id, s.output])).toEqual([
      ["part", 10],
      ["part:1", 20],
      ["part:2", 30],
      ["sum", 60],
    ]);
  });

  it("executeStep stops once that step has ended; later steps do not run", async () => {
    const calls: string[] = [];
    const run = await new TestEngine(greeter(calls)).executeStep("fetch-user", {
      events: [{ name: "app/user.created", data: { userId: 3 } }],
    });
    expect(run.status).toBe("paused");
    expect(run.step).toMatchObject({ id: "fetch-user", output: { id: 3, name: "Ada" } });
    expect(calls).toEqual(["fetch-user"]);
    await expect(new TestEngine(greeter([])).executeStep("nope")).rejects.toThrow(TestEngineError);
  });

  it("code whose steps change between replays fails with NonDeterminismError, as it would in Stepwise", async () => {
    let replays = 0;
    const fn = stepwise.createFunction({ id: "unstable-ids" }, [], async ({ step }) => {
      await step.run(`step-${replays++}`, () => "x");
      return "done";
    });
    const { status, error } = await new TestEngine(fn).execute();
    expect(status).toBe("failed");
    expect(error?.name).toBe("NonDeterminismError");
  });

  it("gives up on a function that never ends", async () => {
    const fn = stepwise.createFunction({ id: "forever" }, [], async ({ step }) => {
      for (;;) await step.run("tick", () => null);
    });
    await expect(new TestEngine(fn, { maxExecutions: 50 }).execute()).rejects.toThrow(
      "did not end within 50 executions",
    );
  });
});
