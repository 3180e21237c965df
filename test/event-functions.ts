/**
 * Event-triggered functions for the routing tests: each counts its real executions by event key.
 */
import { NonRetriableError, Stepwise, type StepwiseFunction } from "../sdk/index.ts";
import { count } from "./functions.ts";

const stepwise = new Stepwise({ id: "event-tests" });

const counter = (
  id: string,
  trigger: Parameters<typeof stepwise.createFunction>[1],
  config: { idempotency?: string } = {},
): StepwiseFunction =>
  stepwise.createFunction<{ key: string }>({ id, ...config }, trigger, async ({ event, step }) =>
    step.run("count", () => count(`${id}:${event.data.key}`)),
  );

export const eventFunctions: StepwiseFunction[] = [
  counter("fan-a", { event: "test/fanout" }),
  counter("fan-b", { event: "test/fanout" }),
  counter("fan-c", [{ event: "test/other" }, { event: "test/fanout" }]),
  counter("wild", { event: "test/wild/*" }),
  counter("pro-only", { event: "test/plan", if: `event.data.plan == "pro"` }),
  counter("idem", { event: "test/idem" }, { idempotency: "event.data.userId" }),
  counter("bulk", { event: "test/bulk" }),
];

/** Ticks seen by the cron test function, by scheduled time. */
export const cronTicks: string[] = [];

eventFunctions.push(
  stepwise.createFunction(
    { id: "weekly-report" },
    { cron: "0 9 * * MON", timezone: "Europe/Paris" },
    async ({ event, step }) =>
      step.run("report", () => {
        cronTicks.push(String(event.data.scheduledAt));
        return event.data.scheduledAt;
      }),
  ),
);

/** Human approval: wait up to 7 days for the invoice's approval, then pay or escalate. */
eventFunctions.push(
  stepwise.createFunction<{ invoiceId: string }>(
    { id: "approval-flow" },
    { event: "test/invoice.created" },
    async ({ step }) => {
      const approval = await step.waitForEvent<{ amount: number }>("approval", {
        event: "test/invoice.approved",
        timeout: "7 days",
        match: "data.invoiceId",
      });
      if (approval) return step.run("pay", () => ({ paid: approval.data.amount }));
      return step.run("escalate", () => "escalated");
    },
  ),
  stepwise.createFunction<{ key: string }>(
    { id: "lookback-flow" },
    { event: "test/lookback.start" },
    async ({ step }) => {
      const done = await step.waitForEvent("done", {
        event: "test/lookback.done",
        timeout: "1h",
        match: "data.key",
        lookback: "10m",
      });
      return done?.id ?? null;
    },
  ),
  stepwise.createFunction<{ key: string }>({ id: "sequence-flow" }, { event: "test/seq.start" }, async ({ step }) => {
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const item = await step.waitForEvent<{ n: number }>("item", {
        event: "test/seq.item",
        timeout: "1h",
        if: "async.data.key == event.data.key",
      });
      seen.push(item?.data.n ?? -1);
    }
    return seen;
  }),
  stepwise.createFunction<{ key: string }>(
    { id: "sender-flow", retries: 2 },
    { event: "test/send.start" },
    async ({ event, step }) => {
      const { ids } = await step.sendEvent("announce", { name: "test/fanout", data: { key: event.data.key } });
      await step.run("flaky-after-send", () => {
        if (count(`sender-flaky:${event.data.key}`) === 1) throw new Error("fails once after the send");
      });
      return ids;
    },
  ),
);

/** The research agent's fan-out: one child run per section, one of which fails for good. */
const writeSection = stepwise.createFunction<{ i: number; fail?: boolean }>(
  { id: "write-section" },
  [],
  async ({ event, step }) =>
    step.run("write", () => {
      if (event.data.fail) throw new NonRetriableError(`section ${event.data.i} could not be written`);
      return `section ${event.data.i}`;
    }),
);
eventFunctions.push(
  writeSection,
  stepwise.createFunction<{ failAt: number }>(
    { id: "research-agent" },
    { event: "test/research" },
    async ({ event, step }) => {
      const sections = await step.invokeMany<string>(
        "sections",
        Array.from({ length: 10 }, (_, i) => ({ function: writeSection, data: { i, fail: i === event.data.failAt } })),
      );
      return step.run("combine", () =>
        sections.map((section) => (section.ok ? section.output : `failed: ${section.error.message}`)),
      );
    },
  ),
  stepwise.createFunction<{ userId: string }>(
    { id: "sleepy-parent" },
    { event: "test/sleepy-parent" },
    async ({ event, step }) =>
      step.invoke("onboard", { function: "onboard-user", data: { userId: event.data.userId, email: "p@example.com" } }),
  ),
  stepwise.createFunction({ id: "invoke-parent", retries: 0 }, { event: "test/invoke" }, async ({ event, step }) =>
    step.invoke<string>("child", { function: "write-section", data: { i: 42, fail: event.data.fail === true } }),
  ),
);

/** Cancelled by `test/user.deleted` for the same user; otherwise sleeps a day between two steps. */
eventFunctions.push(
  stepwise.createFunction<{ userId: string }>(
    { id: "cancellable", cancelOn: [{ event: "test/user.deleted", match: "data.userId" }] },
    { event: "test/cancellable.start" },
    async ({ event, step }) => {
      await step.run("before", () => count(`cancellable-before:${event.data.userId}`));
      await step.sleep("nap", "1 day");
      return step.run("after", () => count(`cancellable-after:${event.data.userId}`));
    },
  ),
  stepwise.createFunction<{ key: string }>(
    {
      id: "finish-timeout",
      timeouts: { finish: "1h" },
      onFailure: ({ event }) => count(`finish-timeout-failed:${String(event.data.key)}`),
    },
    { event: "test/finish-timeout" },
    async ({ step }) => {
      await step.sleep("too-long", "2h");
      return step.run("never", () => "finished");
    },
  ),
  stepwise.createFunction<{ key: string }>({ id: "held-step" }, { event: "test/held" }, async ({ event, step }) => {
    // Timed inside the run's own object (a promise resolved from the test would resume the run's
    // code in the test's context, where it may not touch the object's storage).
    await step.run("held", async () => {
      count(`held-start:${event.data.key}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    });
    return step.run("next", () => count(`held-next:${event.data.key}`));
  }),
);

/** Keys for which the `replayable` function's third step is broken (a test "deploys a fix" by deleting one). */
export const broken = new Set<string>();

eventFunctions.push(
  stepwise.createFunction<{ key: string }>(
    { id: "replayable", retries: 0 },
    { event: "test/replayable" },
    async ({ event, step }) => {
      const k = event.data.key;
      const a = await step.run("a", () => count(`replay-a:${k}`));
      await step.run("b", () => count(`replay-b:${k}`));
      await step.run("c", () => {
        count(`replay-c:${k}`);
        if (broken.has(k)) throw new NonRetriableError("c is broken");
      });
      await step.run("d", () => count(`replay-d:${k}`));
      return { a };
    },
  ),
);

/** Multi-event waits: all of two documents (each matched to the user), or the first of two replies. */
eventFunctions.push(
  stepwise.createFunction<{ userId: string }>({ id: "kyc-flow" }, { event: "test/kyc.start" }, async ({ step }) => {
    const docs = await step.waitForEvents("documents", {
      all: [
        { event: "test/kyc.id", match: "data.userId" },
        { event: "test/kyc.address", match: "data.userId" },
      ],
      timeout: "1 day",
    });
    return docs.map((doc) => doc?.name ?? null);
  }),
  stepwise.createFunction<{ userId: string }>(
    { id: "first-reply" },
    { event: "test/reply.start" },
    async ({ step }) => {
      const reply = await step.waitForEvents("reply", {
        any: [
          { event: "test/reply.email", match: "data.userId" },
          { event: "test/reply.sms", if: "async.data.phoneOf == event.data.userId" },
        ],
        timeout: "1 day",
      });
      return reply?.name ?? null;
    },
  ),
);

/**
 * Two waits of one run for the same name, one keyed by its match (a keyed shard) and one with a
 * condition that lifts no key (the name's home index): one event may resume only one of them.
 */
eventFunctions.push(
  stepwise.createFunction<{ key: string }>({ id: "twin-waits" }, { event: "test/twin.start" }, async ({ step }) => {
    const [keyed, unkeyed] = await Promise.all([
      step.waitForEvent("keyed", { event: "test/twin.signal", match: "data.key", timeout: "1 day" }),
      step.waitForEvent("unkeyed", {
        event: "test/twin.signal",
        if: "async.data.key.startsWith(event.data.key)",
        timeout: "1 day",
      }),
    ]);
    return [keyed?.id ?? null, unkeyed?.id ?? null];
  }),
  stepwise.createFunction<{ key: string }>(
    { id: "twin-parts" },
    { event: "test/twin-parts.start" },
    async ({ step }) => {
      const parts = await step.waitForEvents("both", {
        all: [
          { event: "test/twin-parts.signal", match: "data.key" },
          { event: "test/twin-parts.signal", if: "async.data.key.startsWith(event.data.key)" },
        ],
        timeout: "1 day",
      });
      return parts.map((part) => part?.id ?? null);
    },
  ),
);

/** When each step of a concurrency-limited function ran, to check the overlap. */
export const spans: { fn: string; key: string; start: number; end: number }[] = [];

/** A step that takes `ms`, timed inside the run's own object, recording when it ran. */
const timedWork = (fn: string, key: string, ms: number) => async () => {
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  spans.push({ fn, key, start, end: performance.now() });
};

eventFunctions.push(
  stepwise.createFunction<{ key: string }>(
    { id: "limited", concurrency: 5 },
    { event: "test/limited" },
    async ({ event, step }) => {
      await step.run("work", timedWork("limited", event.data.key, 40));
      return step.run("more", timedWork("limited", event.data.key, 10));
    },
  ),
  // A limit high enough to be split over shards that lease slots from it (two shards of 8 here).
  stepwise.createFunction<{ key: string }>(
    { id: "wide-limited", concurrency: 16 },
    { event: "test/wide-limited" },
    async ({ event, step }) => step.run("work", timedWork("wide-limited", event.data.key, 150)),
  ),
  stepwise.createFunction<{ tenant: string; key: string }>(
    { id: "per-tenant", concurrency: { limit: 1, key: "event.data.tenant" } },
    { event: "test/tenant" },
    async ({ event, step }) => step.run("work", timedWork("per-tenant", `${event.data.tenant}:${event.data.key}`, 20)),
  ),
);

/** Start-time flow control: throttle (delayed), rate limit (skipped), singleton (skip or cancel). */
export const started: { fn: string; key: string; at: number }[] = [];
const noteStart = (fn: string, key: string) => () => void started.push({ fn, key, at: Date.now() });

eventFunctions.push(
  stepwise.createFunction<{ key: string; batch: string }>(
    { id: "throttled", throttle: { limit: 10, period: "1s", key: "event.data.batch" } },
    { event: "test/throttled" },
    async ({ event, step }) => step.run("start", noteStart("throttled", event.data.batch)),
  ),
  stepwise.createFunction<{ batch: string }>(
    { id: "rate-limited", rateLimit: { limit: 3, period: "1h", key: "event.data.batch" } },
    { event: "test/rate-limited" },
    async ({ event, step }) => step.run("start", noteStart("rate-limited", event.data.batch)),
  ),
  // Unkeyed: split over gate shards that admit from tokens their parent lends (see objects.ts).
  stepwise.createFunction<{ batch: string }>(
    { id: "rate-limited-global", rateLimit: { limit: 4, period: "1h" } },
    { event: "test/rate-limited-global" },
    async ({ event, step }) => step.run("start", noteStart("rate-limited-global", event.data.batch)),
  ),
  stepwise.createFunction<{ user: string }>(
    { id: "singleton-skip", singleton: { key: "event.data.user", mode: "skip" } },
    { event: "test/singleton" },
    async ({ event, step }) => {
      await step.run("start", noteStart("singleton-skip", event.data.user));
      await step.sleep("hold", "1h");
    },
  ),
  stepwise.createFunction<{ user: string }>(
    { id: "singleton-cancel", singleton: { key: "event.data.user", mode: "cancel" } },
    { event: "test/singleton" },
    async ({ event, step }) => {
      await step.run("start", noteStart("singleton-cancel", event.data.user));
      await step.sleep("hold", "1h");
    },
  ),
);

eventFunctions.push(
  stepwise.createFunction<{ batch: string; key: string; pro?: boolean }>(
    { id: "prioritized", concurrency: 1, priority: { run: "has(event.data.pro) && event.data.pro ? 120 : 0" } },
    { event: "test/prioritized" },
    async ({ event, step }) => step.run("work", timedWork("prioritized", `${event.data.batch}:${event.data.key}`, 400)),
  ),
);

/** What each debounced or batched run received. */
export const collected: { fn: string; keys: string[] }[] = [];

eventFunctions.push(
  stepwise.createFunction<{ key: string; n: number }>(
    { id: "debounced", debounce: { period: "300ms", key: "event.data.key", timeout: "1s" } },
    { event: "test/debounced" },
    async ({ events, step }) =>
      step.run(
        "got",
        () => void collected.push({ fn: "debounced", keys: events.map((e) => `${e.data.key}:${e.data.n}`) }),
      ),
  ),
  stepwise.createFunction<{ key: string; n: number }>(
    { id: "batched", batchEvents: { maxSize: 10, timeout: "500ms", key: "event.data.key" } },
    { event: "test/batched" },
    async ({ events, step }) =>
      step.run(
        "got",
        () => void collected.push({ fn: "batched", keys: events.map((e) => `${e.data.key}:${e.data.n}`) }),
      ),
  ),
);

eventFunctions.push(
  stepwise.createFunction<{ key: string }>(
    { id: "solo", concurrency: 1 },
    { event: "test/solo" },
    async ({ event, step }) => step.run("work", () => count(`solo:${event.data.key}`)),
  ),
);

/** An order cools off for a day, then waits up to 7 days for its approval: sleeps and a wait in one run. */
eventFunctions.push(
  stepwise.createFunction<{ orderId: string }>(
    { id: "cool-off-approval" },
    { event: "test/order.placed" },
    async ({ step }) => {
      await step.sleep("cool-off", "1 day");
      const approval = await step.waitForEvent<{ by: string }>("approval", {
        event: "test/order.approved",
        timeout: "7 days",
        match: "data.orderId",
      });
      return step.run("decide", () => (approval ? { approvedBy: approval.data.by } : "expired"));
    },
  ),
);
