import { describe, expect, it, vi } from "vitest";
import { NonRetriableError } from "./errors.ts";
import { execute, type LiveHooks, type RanOutcome } from "./execution.ts";
import type { ReachedStep } from "./protocol.ts";
import { fnOf, requestWith } from "./execution.test-support.ts";

const request = requestWith();

/**
 * Three parallel steps that end in reverse order (p3 first); p2 fails, retriably. `entries`
 * counts how often the handler was entered.
 */
function threeParallel() {
  let entered = 0;
  const fn = fnOf(async ({ step }) => {
    entered++;
    return Promise.all(
      [1, 2, 3].map((i) =>
        step.run(`p${i}`, async () => {
          await new Promise((resolve) => setTimeout(resolve, 10 * (4 - i)));
          if (i === 2) throw new Error("flaky");
          return i * 10;
        }),
      ),
    );
  });
  return { fn, entries: () => entered };
}

/** Live hooks that keep what they record, going on while `more` says. */
function hooks(
  more: (recorded: ReachedStep[]) => boolean = () => true,
  kept = (_step: ReachedStep): RanOutcome => "recorded",
) {
  const recorded: ReachedStep[] = [];
  const live: LiveHooks = {
    ran: (step) => (recorded.push(step), kept(step)),
    proceed: () => more(recorded),
  };
  return { recorded, live };
}

describe("live execution (embedded functions)", () => {
  it("runs the handler once, recording each step as it finishes, and answers with the return", async () => {
    let entered = 0;
    const fn = fnOf(async ({ step }) => {
      entered++;
      let total = 0;
      for (let i = 1; i <= 5; i++) total += await step.run("add", () => i);
      return total;
    });
    const { recorded, live } = hooks();
    const response = await execute(fn, request, live);
    expect(response).toEqual({ type: "completed", output: 15 });
    expect(entered).toBe(1);
    expect(recorded.map((step) => [step.id, step.type === "ran" && step.output])).toEqual([
      ["add", 1],
      ["add:1", 2],
      ["add:2", 3],
      ["add:3", 4],
      ["add:4", 5],
    ]);
  });

  it("hands a step that failed, a sleep or parallel steps back to the engine, unrecorded", async () => {
    const failing = fnOf(async ({ step }) => {
      await step.run("a", () => 1);
      return step.run("b", () => {
        throw new NonRetriableError("no");
      });
    });
    const first = hooks();
    expect(await execute(failing, request, first.live)).toMatchObject({
      type: "steps",
      steps: [{ type: "errored", id: "b", retriable: false }],
    });
    expect(first.recorded.map((step) => step.id)).toEqual(["a"]);

    const sleepy = fnOf(async ({ step }) => {
      await step.run("a", () => 1);
      await step.sleep("nap", "1h");
      return Promise.all([step.run("x", () => 1), step.run("y", () => 2)]);
    });
    const second = hooks();
    expect(await execute(sleepy, request, second.live)).toMatchObject({ type: "steps", steps: [{ type: "sleep" }] });
    expect(second.recorded.map((step) => step.id)).toEqual(["a"]);
  });

  it("stops going on when told (a cancelled run, a spent budget): the last step is the answer", async () => {
    const fn = fnOf(async ({ step }) => {
      for (let i = 0; i < 10; i++) await step.run("s", () => i);
      return "all";
    });
    const { recorded, live } = hooks((steps) => steps.length < 3);
    const response = await execute(fn, request, live);
    expect(recorded).toHaveLength(3);
    expect(response).toMatchObject({ type: "steps", steps: [{ type: "ran", id: "s:3", output: 3 }] });
  });

  it("logs each line once, as the handler runs", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    try {
      const fn = fnOf(async ({ step, logger }) => {
        logger.info("start");
        await step.run("a", () => 1);
        logger.info("between");
        await step.run("b", () => 2);
        logger.info("end");
        return "done";
      });
      await execute(fn, request, hooks().live);
      expect(info.mock.calls.map((call) => call.at(-1))).toEqual(["start", "between", "end"]);
    } finally {
      info.mockRestore();
    }
  });

  it("runs planned parallel steps together in one replay, recording each but the last as it ends", async () => {
    const { fn, entries } = threeParallel();
    const { recorded, live } = hooks();
    const response = await execute(fn, { ...request, allowImmediate: false, runSteps: ["p1", "p2", "p3"] }, live);
    expect(entries()).toBe(1);
    // p3 ends first, then p2 (which fails, retriably), then p1: the answer.
    expect(recorded.map((step) => [step.id, step.type])).toEqual([
      ["p3", "ran"],
      ["p2", "errored"],
    ]);
    expect(response).toMatchObject({ type: "steps", steps: [{ type: "ran", id: "p1", output: 10 }] });
  });

  it("starts the steps the engine hands it as others end, never more at once than it was told", async () => {
    let running = 0;
    let most = 0;
    const fn = fnOf(async ({ step }) =>
      Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          step.run(`p${i}`, async () => {
            most = Math.max(most, ++running);
            await new Promise((resolve) => setTimeout(resolve, 2 + (i % 3)));
            running--;
            return i;
          }),
        ),
      ),
    );
    // A window of two: each step that ends frees its lane for the next (one unknown id is ignored).
    const queue = ["p2", "p3", "nowhere", "p4", "p5", "p6", "p7"];
    const recorded: ReachedStep[] = [];
    const live: LiveHooks = {
      ran: (step) => (recorded.push(step), "recorded"),
      proceed: () => true,
      more: () => (queue[0] === "nowhere" ? queue.splice(0, 2) : queue.splice(0, 1)),
    };
    const response = await execute(fn, { ...request, allowImmediate: false, runSteps: ["p0", "p1"] }, live);
    expect(most).toBe(2);
    expect(queue).toEqual([]);
    const answered = response.type === "steps" ? response.steps : [];
    expect([...recorded, ...answered].map((step) => step.id).sort()).toEqual([
      "p0",
      "p1",
      "p2",
      "p3",
      "p4",
      "p5",
      "p6",
      "p7",
    ]);
    expect(answered).toHaveLength(1);
  });

  it("a batch answers the steps the engine holds for storage, and not those it took but stopped on", async () => {
    const fn = fnOf(async ({ step }) =>
      Promise.all(
        [0, 1, 2, 3].map((i) => step.run(`p${i}`, () => new Promise((resolve) => setTimeout(() => resolve(i), 5 * i)))),
      ),
    );
    // p0 is held (a result stored before it is recorded), p1 is refused by the engine (stop).
    const outcomes: Record<string, RanOutcome> = { p0: "hold", p1: "stop" };
    const { recorded, live } = hooks(undefined, (step) => outcomes[step.id] ?? "recorded");
    const response = await execute(fn, { ...request, allowImmediate: false, runSteps: ["p0", "p1", "p2", "p3"] }, live);
    expect(recorded.map((step) => step.id)).toEqual(["p0", "p1", "p2"]);
    expect(response.type === "steps" ? response.steps.map((step) => step.id) : response).toEqual(["p0", "p3"]);
  });

  it("fails as non-deterministic when a planned step is no longer reached", async () => {
    const fn = fnOf(async ({ step }) => Promise.all([step.run("p1", () => 1), step.run("p2", () => 2)]));
    const response = await execute(fn, { ...request, allowImmediate: false, runSteps: ["p1", "gone"] }, hooks().live);
    expect(response).toMatchObject({ type: "failed", error: { name: "NonDeterminismError" }, retriable: false });
  });

  it("stops at once when the engine did not keep a step as completed (a limit), going on no further", async () => {
    const ran: number[] = [];
    const fn = fnOf(async ({ step }) => {
      for (let i = 0; i < 5; i++) await step.run("s", () => (ran.push(i), i));
      return "all";
    });
    const { recorded, live } = hooks(undefined, (step) => (step.id !== "s:1" ? "recorded" : "stop"));
    const response = await execute(fn, request, live);
    expect(ran).toEqual([0, 1]);
    expect(recorded.map((step) => step.id)).toEqual(["s", "s:1"]);
    expect(response).toMatchObject({ type: "steps", steps: [{ id: "s:1" }] });
  });

  it("runs a step another branch reached while the last one ran, instead of waiting for it forever", async () => {
    const fn = fnOf(async ({ step }) =>
      Promise.all([
        step.run("a", () => new Promise((resolve) => setTimeout(() => resolve(1), 20))),
        (async () => {
          await new Promise((resolve) => setTimeout(resolve, 2));
          return step.run("b", () => 2);
        })(),
      ]),
    );
    const { recorded, live } = hooks();
    const response = await execute(fn, request, live);
    expect(response).toEqual({ type: "completed", output: [1, 2] });
    expect(recorded.map((step) => step.id)).toEqual(["a", "b"]);
  });
});

describe("a batch of planned steps for a remote app (no live hooks)", () => {
  it("runs them together and answers with every outcome, in the order they ended", async () => {
    const { fn, entries } = threeParallel();
    const response = await execute(fn, { ...request, allowImmediate: false, runSteps: ["p1", "p2", "p3"] });
    expect(entries()).toBe(1);
    expect(response.type === "steps" ? response.steps.map((step) => [step.id, step.type]) : response).toEqual([
      ["p3", "ran"],
      ["p2", "errored"],
      ["p1", "ran"],
    ]);
  });
});
