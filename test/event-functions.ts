/**
 * Event-triggered functions for the routing tests: each counts its real executions by event key.
 */
import { Stepwise, type StepwiseFunction } from "../sdk/index.ts";
import { count } from "./functions.ts";

const stepwise = new Stepwise({ id: "event-tests" });

const counter = (id: string, trigger: Parameters<typeof stepwise.createFunction>[1], config: { idempotency?: string } = {}): StepwiseFunction =>
  stepwise.createFunction<{ key: string }>({ id, ...config }, trigger, async ({ event, step }) => step.run("count", () => count(`${id}:${event.data.key}`)));

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
  stepwise.createFunction({ id: "weekly-report" }, { cron: "0 9 * * MON", timezone: "Europe/Paris" }, async ({ event, step }) =>
    step.run("report", () => {
      cronTicks.push(String(event.data.scheduledAt));
      return event.data.scheduledAt;
    }),
  ),
);
