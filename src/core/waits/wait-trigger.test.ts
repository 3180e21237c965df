import { describe, expect, it } from "vitest";
import { waitTrigger } from "./wait-trigger.ts";

const big = {
  id: "e1",
  name: "import/started",
  ts: 1,
  data: { order: { id: "o-1", lines: ["…"] }, tenant: "t-1", blob: "x".repeat(1000) },
};

describe("the run's event a wait registers with", () => {
  it("is the event itself when its data is inline", () => {
    expect(waitTrigger(big, "event.data.tenant == async.data.tenant")).toBe(big);
  });

  it("carries only the values its condition reads when the data is kept in R2", () => {
    const claimed = { ...big, claim: { key: "runs/r/events/0", bytes: 5_000_000 } };
    const trigger = waitTrigger(claimed, "event.data.order.id == async.data.orderId && event.data.tenant == 't-1'");
    expect(trigger).toEqual({ id: "e1", name: "import/started", ts: 1, data: { order: { id: "o-1" }, tenant: "t-1" } });
    expect(waitTrigger(claimed, "event.data.missing.deep == 1").data).toEqual({});
    expect(waitTrigger(claimed, undefined).data).toEqual({});
  });
});
