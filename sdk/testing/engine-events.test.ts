/**
 * The in-memory TestEngine with the steps Stepwise carries out: sleeps skipped, waits answered by
 * mocks (or timing out), sends recorded with ids, invokes answered by mocks.
 */
import { describe, expect, it } from "vitest";
import { NonRetriableError, Stepwise } from "../index.ts";
import { TestEngine } from "./index.ts";

const stepwise = new Stepwise({ id: "test" });
const DAY = 86_400_000;

/** An invoice: a day's grace, then up to 7 days for its approval, then pay or escalate. */
const approval = stepwise.createFunction<{ invoiceId: string }>(
  { id: "approval" },
  { event: "app/invoice.created" },
  async ({ step }) => {
    await step.sleep("grace", "1 day");
    const approved = await step.waitForEvent<{ amount: number }>("approval", {
      event: "app/invoice.approved",
      timeout: "7 days",
      match: "data.invoiceId",
    });
    if (!approved) return step.run("escalate", () => "escalated");
    return step.run("pay", () => ({ paid: approved.data.amount, eventId: approved.id }));
  },
);
const invoice = { events: [{ name: "app/invoice.created", data: { invoiceId: "inv-1" } }] };

describe("TestEngine: sleeps and waits", () => {
  it("a sleep is skipped at once and recorded with the time it would have slept until", async () => {
    const started = Date.now();
    const { state } = await new TestEngine(approval, invoice).execute();
    expect(Date.now() - started).toBeLessThan(1_000);
    const grace = state.grace!;
    expect(grace).toMatchObject({ op: "sleep", status: "completed", output: null });
    expect(grace.until! - started).toBeGreaterThanOrEqual(DAY);
    expect(grace.until! - Date.now()).toBeLessThanOrEqual(DAY);
  });

  it("sleepUntil is skipped too, and a mock of a sleep is told of it", async () => {
    const seen: unknown[] = [];
    const wakeAt = new Date(Date.now() + 300 * DAY);
    const fn = stepwise.createFunction({ id: "until" }, [], async ({ step }) => {
      await step.sleepUntil("new-year", wakeAt);
      return "awake";
    });
    const { result, state } = await new TestEngine(fn, {
      steps: [{ id: "new-year", handler: (call) => void seen.push(call.until) }],
    }).execute();
    expect(result).toBe("awake");
    expect(seen).toEqual([wakeAt.getTime()]);
    expect(state["new-year"]).toMatchObject({ mocked: true, output: null });
  });

  it("a wait without a mock times out: the function takes its timeout branch", async () => {
    const { result, steps } = await new TestEngine(approval, invoice).execute();
    expect(result).toBe("escalated");
    expect(steps.map((s) => s.id)).toEqual(["grace", "approval", "escalate"]);
    expect(steps[1]).toMatchObject({
      op: "wait",
      output: null,
      timedOut: true,
      wait: { event: "app/invoice.approved", if: "event.data.invoiceId == async.data.invoiceId" },
    });
  });

  it("a mocked wait resumes with the event, filled in with its name, an id and a time", async () => {
    const mock = { id: "approval", handler: () => ({ data: { invoiceId: "inv-1", amount: 250 } }) };
    const { result, state } = await new TestEngine(approval, { ...invoice, steps: [mock] }).execute();
    expect(result).toEqual({ paid: 250, eventId: "test-run:approval:event:0" });
    expect(state.approval?.output).toMatchObject({
      name: "app/invoice.approved",
      data: { invoiceId: "inv-1", amount: 250 },
      id: "test-run:approval:event:0",
    });
    expect(state.approval?.timedOut).toBeUndefined();
  });

  it("a mocked event the wait's condition refuses is not taken, as in Stepwise: the wait times out", async () => {
    const mock = { id: "approval", handler: () => ({ data: { invoiceId: "someone-else", amount: 1 } }) };
    const { result, state } = await new TestEngine(approval, { ...invoice, steps: [mock] }).execute();
    expect(result).toBe("escalated");
    expect(state.approval).toMatchObject({ timedOut: true, unmatched: { data: { invoiceId: "someone-else" } } });
  });

  it("a mock answering null is a timeout", async () => {
    const { result } = await new TestEngine(approval, {
      ...invoice,
      steps: [{ id: "approval", handler: () => null }],
    }).execute();
    expect(result).toBe("escalated");
  });
});

describe("TestEngine: sends and invokes", () => {
  const onboarding = stepwise.createFunction<{ userId: string }>(
    { id: "onboarding", retries: 1 },
    [],
    async ({ event, step }) => {
      const { ids } = await step.sendEvent("welcome", [
        { name: "app/email.send", data: { to: event.data.userId, template: "welcome" } },
        { name: "app/crm.sync", data: { userId: event.data.userId }, id: "crm-1" },
      ]);
      const score = await step.invoke<number>("score", { function: "score-user", data: { userId: event.data.userId } });
      return { ids, score };
    },
  );
  const user = { events: [{ name: "app/signed-up", data: { userId: "u1" } }] };

  it("a send is recorded with its events and ids; an invoke resolves with its mock's output", async () => {
    const invoked: unknown[] = [];
    const score = { id: "score", handler: ({ invoke }: { invoke?: unknown }) => (invoked.push(invoke), 42) };
    const { result, sent, state } = await new TestEngine(onboarding, { ...user, steps: [score] }).execute();
    expect(result).toEqual({ ids: ["test-run:welcome:0", "crm-1"], score: 42 });
    expect(sent.map((e) => [e.id, e.name, e.data])).toEqual([
      ["test-run:welcome:0", "app/email.send", { to: "u1", template: "welcome" }],
      ["crm-1", "app/crm.sync", { userId: "u1" }],
    ]);
    expect(state.welcome).toMatchObject({ op: "send", output: { ids: ["test-run:welcome:0", "crm-1"] } });
    expect(invoked).toEqual([{ children: [{ functionId: "score-user", data: { userId: "u1" } }], many: false }]);
  });

  it("an invoke whose mock throws is retried like a failed child, then fails the function", async () => {
    const attempts: number[] = [];
    const score = {
      id: "score",
      handler: ({ attempt }: { attempt: number }) => (
        attempts.push(attempt),
        Promise.reject(new Error("child failed"))
      ),
    };
    const { status, error, state } = await new TestEngine(onboarding, { ...user, steps: [score] }).execute();
    expect(attempts).toEqual([0, 1]);
    expect(status).toBe("failed");
    expect(error?.message).toBe('Step "score" failed: Error: child failed');
    expect(state.score).toMatchObject({ status: "failed", attempts: 2 });
    const final = { id: "score", handler: () => Promise.reject(new NonRetriableError("no such user")) };
    expect((await new TestEngine(onboarding, { ...user, steps: [final] }).execute()).state.score?.attempts).toBe(1);
  });

  it("an invoke without a mock rejects, naming the step to mock", async () => {
    await expect(new TestEngine(onboarding, user).execute()).rejects.toThrow('mock it with { id: "score"');
  });

  it("waitForEvents `all` takes the mock's array", async () => {
    const fn = stepwise.createFunction({ id: "both" }, [], async ({ step }) => {
      const [a, b] = await step.waitForEvents("signals", {
        all: [{ event: "app/a" }, { event: "app/b" }],
        timeout: "1h",
      });
      return [a?.data.n ?? null, b?.data.n ?? null];
    });
    const mock = { id: "signals", handler: () => [{ name: "app/a", data: { n: 1 } }, null] };
    expect((await new TestEngine(fn, { steps: [mock] }).execute()).result).toEqual([1, null]);
    expect((await new TestEngine(fn).execute()).result).toEqual([null, null]);
  });
});
