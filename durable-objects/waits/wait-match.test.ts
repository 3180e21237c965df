import { describe, expect, it } from "vitest";
import { firstMatch, matches, RACE_WINDOW_MS, type ArrivedEvent, type Waiter } from "./wait-match.ts";

const waiter = (over: Partial<Waiter> = {}): Waiter => ({
  runId: "r",
  stepId: "approval",
  runEvent: { id: "trigger", name: "invoice/created", data: { invoiceId: "i-1" }, ts: 0 },
  startedAt: 10_000,
  lookbackMs: 0,
  until: 100_000,
  ...over,
});
const arrival = (
  id: string,
  receivedAt: number,
  data: Record<string, unknown> = { invoiceId: "i-1" },
): ArrivedEvent => ({
  event: { id, name: "invoice/approved", data, ts: receivedAt },
  receivedAt,
});

describe("matches", () => {
  it("takes an event from the race window on, and never the run's own event", () => {
    expect(matches(waiter(), arrival("a", 10_000 - RACE_WINDOW_MS))).toBe(true);
    expect(matches(waiter(), arrival("a", 10_000 - RACE_WINDOW_MS - 1))).toBe(false);
    expect(matches(waiter(), arrival("trigger", 20_000))).toBe(false);
  });

  it("reaches back by the lookback", () => {
    expect(matches(waiter({ lookbackMs: 5_000 }), arrival("a", 10_000 - 5_000 - RACE_WINDOW_MS))).toBe(true);
    expect(matches(waiter({ lookbackMs: 5_000 }), arrival("a", 10_000 - 5_000 - RACE_WINDOW_MS - 1))).toBe(false);
  });

  it("holds the condition over the run's event and the arriving one", () => {
    const matching = waiter({ condition: "event.data.invoiceId == async.data.invoiceId" });
    expect(matches(matching, arrival("a", 20_000))).toBe(true);
    expect(matches(matching, arrival("b", 20_000, { invoiceId: "i-2" }))).toBe(false);
  });
});

describe("firstMatch", () => {
  it("is the oldest arrival that matches, or undefined", () => {
    const only = waiter({ condition: "async.data.n > 1" });
    const arrivals = [
      arrival("one", 11_000, { n: 1 }),
      arrival("two", 12_000, { n: 2 }),
      arrival("three", 13_000, { n: 3 }),
    ];
    expect(firstMatch(only, arrivals)?.event.id).toBe("two");
    expect(firstMatch(only, arrivals.slice(0, 1))).toBeUndefined();
  });
});
