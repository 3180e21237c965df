/**
 * Functions that exist only for the tests: each exercises one behaviour of the engine and counts
 * how often its steps really execute.
 */
import { NonRetriableError, RetryAfterError, Stepwise } from "../sdk/index.ts";

const stepwise = new Stepwise({ id: "tests" });

const counts = new Map<string, number>();
/** Counts one real execution of `key`. */
export function count(key: string): number {
  const next = (counts.get(key) ?? 0) + 1;
  counts.set(key, next);
  return next;
}
/** How many times `key` really executed. */
export const executions = (key: string): number => counts.get(key) ?? 0;

/** Resolvers a test uses to hold a step open (to abort the object while it is in flight). */
export const gates = new Map<string, () => void>();
const gate = (key: string): Promise<void> => new Promise((resolve) => gates.set(key, resolve));

export const failingTwice = stepwise.createFunction<{ key: string }>(
  { id: "test-fails-twice", retries: 3 },
  { event: "test/fails-twice" },
  async ({ event, step }) => {
    const a = await step.run("first", () => count(`${event.data.key}:first`));
    const b = await step.run("flaky", () => {
      if (count(`${event.data.key}:flaky`) <= 2) throw new Error("flaky failure");
      return "ok";
    });
    const c = await step.run("last", () => count(`${event.data.key}:last`));
    return { a, b, c };
  },
);

export const nonRetriable = stepwise.createFunction<{ key: string }>(
  {
    id: "test-non-retriable",
    retries: 5,
    onFailure: async ({ error, event, step, failedRunId }) => {
      await step.run("record-failure", () => count(`${event.data.key}:onFailure`));
      return { handled: error.message, failedRunId };
    },
  },
  [],
  async ({ event, step }) => {
    await step.run("boom", () => {
      count(`${event.data.key}:boom`);
      throw new NonRetriableError("card declined");
    });
  },
);

export const retryAfter = stepwise.createFunction<{ key: string }>(
  { id: "test-retry-after", retries: 2 },
  [],
  async ({ event, step }) =>
    step.run("rate-limited", () => {
      if (count(`${event.data.key}:rate-limited`) === 1) throw new RetryAfterError("slow down", 60_000);
      return "done";
    }),
);

export const parallel = stepwise.createFunction<{ key: string; n: number }>(
  { id: "test-parallel" },
  [],
  async ({ event, step }) => {
    const ids = Array.from({ length: event.data.n }, (_, i) => i);
    const results = await Promise.all(
      ids.map((i) => step.run(`item-${i}`, () => (count(`${event.data.key}:item`), i * 10))),
    );
    const total = await step.run("sum", () => results.reduce((sum, value) => sum + value, 0));
    return { results, total };
  },
);

export const abortable = stepwise.createFunction<{ key: string }>(
  { id: "test-abortable" },
  [],
  async ({ event, step }) => {
    await step.run("before", () => count(`${event.data.key}:before`));
    await step.run("in-flight", async () => {
      if (count(`${event.data.key}:in-flight`) === 1) await gate(event.data.key);
      return "finished";
    });
    await step.run("after", () => count(`${event.data.key}:after`));
    return "done";
  },
);

export const manySteps = stepwise.createFunction<{ n: number }>(
  { id: "test-many-steps" },
  [],
  async ({ event, step }) => {
    for (let i = 0; i < event.data.n; i++) await step.run("step", () => i);
    return event.data.n;
  },
);

export const bigOutput = stepwise.createFunction<{ bytes: number }>(
  { id: "test-big-output", retries: 3 },
  [],
  async ({ event, step }) => {
    try {
      await step.run("too-big", () => "x".repeat(event.data.bytes));
    } catch (error) {
      return { caught: error instanceof Error ? error.message : String(error) };
    }
    return { caught: null };
  },
);

/**
 * Progress in metadata: parallel steps each count one file done; the first attempt of one fails
 * after counting, so its change must not count; the phase is set and then removed.
 */
export const progress = stepwise.createFunction<{ key: string; n: number }>(
  { id: "test-progress", retries: 2 },
  [],
  async ({ event, step }) => {
    const { key, n } = event.data;
    await step.run("start", ({ metadata }) => {
      metadata.set("phase", "files");
      metadata.set("total", n);
    });
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        step.run(`file-${i}`, ({ metadata }) => {
          metadata.increment("done");
          metadata.append("files", i);
          if (i === 0 && count(`progress-flaky:${key}`) === 1) throw new Error("flaky once, after counting");
          return i;
        }),
      ),
    );
    await step.run("finish", ({ metadata }) => metadata.set("phase", null));
    return "done";
  },
);

/** A step whose metadata change clashes with what the run holds: its step fails, not retried. */
export const badMetadata = stepwise.createFunction({ id: "test-bad-metadata", retries: 3 }, [], async ({ step }) => {
  await step.run("label", ({ metadata }) => metadata.set("count", "many"));
  await step.run("count", ({ metadata }) => metadata.increment("count"));
});

/** A parent whose child run keeps its tags and adds its own. */
export const tagParent = stepwise.createFunction<{ key: string }>(
  { id: "test-tag-parent" },
  [],
  async ({ event, step }) =>
    step.invoke("child", { function: "test-parallel", data: { key: event.data.key, n: 1 }, tags: ["child-own"] }),
);

/** Returns a large result of its own (kept in R2); one retry (the dashboard says "1 retry"). */
export const largeReturn = stepwise.createFunction<{ bytes: number }>(
  { id: "test-large-return", retries: 1 },
  [],
  async ({ event }) => "y".repeat(event.data.bytes),
);

/** Invokes a child whose result is kept in R2, then reads it after a sleep (a replay). */
export const largeChildParent = stepwise.createFunction<{ bytes: number }>(
  { id: "test-large-child-parent" },
  [],
  async ({ event, step }) => {
    const made = await step.invoke("child", { function: "test-large-return", data: { bytes: event.data.bytes } });
    await step.sleep("pause", "1h");
    return step.run("measure", () => ({ length: String(made).length }));
  },
);

/**
 * Started with data past the event limit (kept in R2): its singleton key and its wait's
 * condition read that data, and its onFailure handler gets it too.
 */
export const largeInput = stepwise.createFunction<{ tenant: string; blob: string; fail?: boolean }>(
  {
    id: "test-large-input",
    singleton: { key: "event.data.tenant", mode: "skip" },
    onFailure: async ({ event }) => ({ length: event.data.blob.length }),
  },
  [],
  async ({ event, step }) => {
    const go = await step.waitForEvent("go", {
      event: "test/large-input.go",
      timeout: "1h",
      if: "event.data.tenant == async.data.tenant",
    });
    if (event.data.fail) throw new NonRetriableError("asked to fail");
    return { length: event.data.blob.length, tenant: event.data.tenant, go: go?.data ?? null };
  },
);

/**
 * Triggered by an event whose data is kept in R2 (its trigger condition reads it), it waits for
 * another such event by a key in both.
 */
export const largeEvent = stepwise.createFunction<{ kind: string; key: string; blob: string }>(
  { id: "test-large-event" },
  { event: "test/large-event", if: "event.data.kind == 'big'" },
  async ({ event, step }) => {
    const more = await step.waitForEvent<{ key: string; blob: string }>("more", {
      event: "test/large-event.more",
      match: "data.key",
      timeout: "1h",
    });
    return { length: event.data.blob.length, more: more?.data.blob.length ?? null, key: more?.data.key ?? null };
  },
);

/** Logs from a step (its own logger and the function's), over a failed attempt and a good one; then parallel steps' console lines. */
export const stepLogs = stepwise.createFunction<{ key: string }>(
  { id: "test-step-logs", retries: 1 },
  [],
  async ({ event, step, logger }) => {
    logger.info("outside any step");
    const loaded = await step.run("load", ({ logger: stepLogger, attempt }) => {
      stepLogger.info("loading", { key: event.data.key, attempt });
      logger.warn("through the function's logger");
      console.error("straight to the console", attempt);
      if (attempt === 0) throw new Error("first try fails");
      return "loaded";
    });
    // Parallel steps whose console lines interleave: each keeps its own (async context).
    await Promise.all(
      ["left", "right"].map((side) =>
        step.run(side, async () => {
          console.log(`${side} starts`);
          await new Promise((resolve) => setTimeout(resolve, 5));
          logger.info(`${side} through the function's logger`);
          console.log(`${side} ends`);
          return side;
        }),
      ),
    );
    return loaded;
  },
);

/** Started by a tagged event, it sends one of its own: the run it starts has both tags. */
export const tagRelay = stepwise.createFunction<{ key: string }>(
  { id: "test-tag-relay" },
  { event: "test/tag-relay" },
  async ({ event, step }) =>
    step.sendEvent("pass-on", { name: "test/tag-relayed", data: { key: event.data.key }, tags: ["relayed"] }),
);

/** Answers with the tags its event carried. */
export const tagRelayed = stepwise.createFunction<{ key: string }>(
  { id: "test-tag-relayed" },
  { event: "test/tag-relayed" },
  async ({ event }) => ({ tags: event.tags ?? [] }),
);

/** A large step result (kept in R2), read back by a later step after a sleep (a replay). */
export const largeResult = stepwise.createFunction<{ bytes: number }>(
  { id: "test-large-result" },
  [],
  async ({ event, step }) => {
    const made = await step.run("make", () => "x".repeat(event.data.bytes));
    await step.sleep("pause", "1h");
    return step.run("measure", () => ({ length: made.length, head: made.slice(0, 3) }));
  },
);

/** Two steps around an hour's sleep: paused by then, the run holds before "after". */
export const pausable = stepwise.createFunction<{ key: string }>(
  { id: "test-pausable" },
  [],
  async ({ event, step }) => {
    await step.run("before", () => count(`pausable:${event.data.key}:before`));
    await step.sleep("nap", "1h");
    return step.run("after", () => count(`pausable:${event.data.key}:after`));
  },
);

/** A daily schedule, for the ticks a paused function skips. */
export const pausableCron = stepwise.createFunction(
  { id: "test-pausable-cron" },
  { cron: "0 6 * * *" },
  async ({ step }) => step.run("tick", () => "ticked"),
);

/** Started by schedules made at run time: answers the tick's data. */
export const scheduled = stepwise.createFunction({ id: "test-scheduled" }, [], async ({ event, step }) =>
  step.run("tick", () => event.data),
);

export const testFunctions = [
  scheduled,
  pausable,
  pausableCron,
  largeResult,
  largeReturn,
  largeChildParent,
  largeInput,
  largeEvent,
  stepLogs,
  tagParent,
  tagRelay,
  tagRelayed,
  failingTwice,
  nonRetriable,
  retryAfter,
  parallel,
  abortable,
  manySteps,
  bigOutput,
  progress,
  badMetadata,
];

/** Which version of `test-changing-code` is "deployed"; a test flips it under a sleeping run. */
export const codeVersion = { current: 1 };

export const changingCode = stepwise.createFunction({ id: "test-changing-code" }, [], async ({ step }) => {
  await step.run(codeVersion.current === 1 ? "charge-card" : "charge-customer", () => "charged");
  await step.sleep("pause", "1h");
  return step.run("ship", () => "shipped");
});

testFunctions.push(changingCode);
