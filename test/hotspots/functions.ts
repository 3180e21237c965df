/**
 * The functions of the counting workload (SCALE.md §7.2, at CI size): generic functions on Zipf-
 * distributed names, a wait with `match`, a `cancelOn`, idempotency, keyed and unkeyed concurrency,
 * a keyed rate limit, batching, and a fan-out that sends events and invokes children.
 */
import { Stepwise, type StepwiseFunction } from "../../sdk/index.ts";

const stepwise = new Stepwise({ id: "hotspots" });

/** Event names of the generic functions: `sim/n00` … `sim/n19`. */
export const SIM_NAMES = Array.from({ length: 20 }, (_, i) => `sim/n${String(i).padStart(2, "0")}`);

const generic = SIM_NAMES.slice(0, 10).map((name, i) =>
  stepwise.createFunction<{ tenant: string }>({ id: `sim-${i}` }, { event: name }, async ({ step }) => {
    await step.run("a", () => i);
    return step.run("b", () => i + 1);
  }),
);

export const hotspotFunctions: StepwiseFunction[] = [
  ...generic,
  stepwise.createFunction<{ tenant: string }>(
    { id: "order", concurrency: { limit: 50, key: "event.data.tenant" } },
    { event: "sim/n00" },
    async ({ step }) => step.run("charge", () => "ok"),
  ),
  stepwise.createFunction<{ tenant: string }>(
    { id: "order-global", concurrency: 100 },
    { event: "sim/n01" },
    async ({ step }) => step.run("ship", () => "ok"),
  ),
  stepwise.createFunction<{ orderId: string }>(
    { id: "await-payment" },
    { event: "order/created" },
    async ({ step }) => {
      const paid = await step.waitForEvent("payment", {
        event: "payment/received",
        match: "data.orderId",
        timeout: "1h",
      });
      return step.run("done", () => (paid ? "paid" : "unpaid"));
    },
  ),
  stepwise.createFunction<{ userId: string }>(
    { id: "cancellable", cancelOn: [{ event: "user/deleted", match: "data.userId" }] },
    { event: "user/created" },
    async ({ step }) => {
      await step.sleep("nap", "1h");
      return "woke";
    },
  ),
  stepwise.createFunction<{ tenant: string }>(
    { id: "rate", rateLimit: { limit: 1_000, period: "1m", key: "event.data.tenant" } },
    { event: "sim/n02" },
    async ({ step }) => step.run("x", () => 1),
  ),
  stepwise.createFunction<{ tenant: string }>(
    { id: "batch", batchEvents: { maxSize: 100, timeout: "1s", key: "event.data.tenant" } },
    { event: "sim/n03" },
    async ({ events, step }) => step.run("sum", () => events.length),
  ),
  stepwise.createFunction<{ orderId: string }>(
    { id: "idem", idempotency: "event.data.orderId" },
    { event: "sim/n04" },
    async ({ step }) => step.run("once", () => 1),
  ),
  stepwise.createFunction<{ n: number }>({ id: "child" }, { event: "sim/child" }, async ({ step }) =>
    step.run("c", () => 1),
  ),
  stepwise.createFunction<{ tenant: string }>({ id: "fanout" }, { event: "sim/fanout" }, async ({ step }) => {
    await step.sendEvent(
      "spread",
      Array.from({ length: 10 }, (_, n) => ({ name: `sim/n0${5 + (n % 5)}`, data: { tenant: `t${n}` } })),
    );
    return Promise.all(
      Array.from({ length: 5 }, (_, n) => step.invoke(`child-${n}`, { function: "child", data: { n } })),
    );
  }),
];
