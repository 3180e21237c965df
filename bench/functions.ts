/**
 * The same three workloads written twice: as Stepwise functions and as Cloudflare Workflows.
 * The sleep workload returns the moments around its sleep, to measure how late the wake-up was.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { Stepwise } from "../sdk/index.ts";

const stepwise = new Stepwise({ id: "bench" });

export const sequential = stepwise.createFunction<{ steps: number }>(
  { id: "bench-sequential" },
  [],
  async ({ event, step }) => {
    let last = 0;
    for (let i = 0; i < event.data.steps; i++) last = await step.run("step", () => Date.now());
    return last;
  },
);

export const threeSteps = stepwise.createFunction({ id: "bench-three" }, [], async ({ step }) => {
  await step.run("one", () => 1);
  await step.run("two", () => 2);
  return step.run("three", () => Date.now());
});

export const oneSecondSleep = stepwise.createFunction({ id: "bench-sleep" }, [], async ({ step }) => {
  const before = await step.run("before", () => Date.now());
  await step.sleep("nap", "1s");
  const after = await step.run("after", () => Date.now());
  return { before, after };
});

/** Started by an event; its first step reports when it began, for accept-to-first-step latency. */
export const firstStep = stepwise.createFunction(
  { id: "bench-first-step" },
  { event: "bench/first-step" },
  async ({ step }) => step.run("first", () => Date.now()),
);

/** `steps` parallel steps of 20 ms each, at most 10 at once: the limiter's overhead is the wall time past steps / 10 × 20 ms. */
export const limitedParallel = stepwise.createFunction<{ steps: number }>(
  { id: "bench-limited", concurrency: 10 },
  [],
  async ({ event, step }) => {
    const parts = Array.from({ length: event.data.steps }, () =>
      step.run("part", () => new Promise<number>((resolve) => setTimeout(() => resolve(Date.now()), 20))),
    );
    return (await Promise.all(parts)).length;
  },
);

/**
 * Realtime latency: `count` messages from one step, `gapMs` apart, each saying when it was sent
 * (the subscriber's arrival time minus `sentAt` is the latency; workerd's clock moves on each I/O).
 */
export const publishPaced = stepwise.createFunction<{ stream: string; count: number; gapMs: number }>(
  { id: "bench-publish-paced" },
  [],
  async ({ event, step }) =>
    step.run("publish", async ({ publish }) => {
      for (let i = 0; i < event.data.count; i++) {
        await new Promise((resolve) => setTimeout(resolve, event.data.gapMs));
        await publish(event.data.stream, { i, sentAt: Date.now() });
      }
      return event.data.count;
    }),
);

/** One run publishing `count` messages: piped chunks, one publish at a time, durable steps, or none (the baseline). */
export const publishMany = stepwise.createFunction<{
  stream: string;
  count: number;
  how: "pipe" | "each" | "durable" | "none";
}>({ id: "bench-publish-many" }, [], async ({ event, step }) => {
  const { stream, count, how } = event.data;
  async function* chunks() {
    for (let i = 0; i < count; i++) yield `token-${i} `;
  }
  if (how === "durable") {
    for (let i = 0; i < count; i++) await step.publish("message", stream, { i });
    return count;
  }
  return step.run("publish", async ({ publish, pipe }) => {
    if (how === "pipe") return (await pipe(stream, chunks())).length;
    for (let i = 0; i < count; i++) if (how === "each") await publish(stream, { i });
    return count;
  });
});

/** A step returning `bytes` of JSON, then a step that reads it (a 20 MiB one goes to R2 and back). */
export const largeResult = stepwise.createFunction<{ bytes: number }>(
  { id: "bench-large-result" },
  [],
  async ({ event, step }) => {
    const made = await step.run("make", () => "x".repeat(event.data.bytes));
    return step.run("measure", () => made.length);
  },
);

export const benchFunctions = [
  largeResult,
  sequential,
  threeSteps,
  oneSecondSleep,
  firstStep,
  limitedParallel,
  publishPaced,
  publishMany,
];

export class SequentialWorkflow extends WorkflowEntrypoint<unknown, { steps: number }> {
  override async run(event: WorkflowEvent<{ steps: number }>, step: WorkflowStep): Promise<number> {
    let last = 0;
    for (let i = 0; i < event.payload.steps; i++) last = await step.do(`step-${i}`, async () => Date.now());
    return last;
  }
}

export class ThreeStepWorkflow extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep): Promise<number> {
    await step.do("one", async () => 1);
    await step.do("two", async () => 2);
    return step.do("three", async () => Date.now());
  }
}

export class SleepWorkflow extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep): Promise<{ before: number; after: number }> {
    const before = await step.do("before", async () => Date.now());
    await step.sleep("nap", "1 second");
    const after = await step.do("after", async () => Date.now());
    return { before, after };
  }
}
