import { describe, expect, it } from "vitest";
import { lifecycleEvents, type EndedRun } from "./lifecycle.ts";

const event = { id: "e1", name: "shop/order", data: { n: 1 }, ts: 5 };
const MAX = 512 * 1024;
const run = (extra: Partial<EndedRun>): EndedRun => ({
  functionId: "app-fn",
  runId: "r1",
  status: "completed",
  events: [event],
  ...extra,
});

describe("an Inngest run's lifecycle events", () => {
  it("announces a completion with its result", () => {
    expect(lifecycleEvents(run({ output: { ok: true } }), 9, MAX)).toEqual([
      {
        id: "r1.finished",
        name: "inngest/function.finished",
        ts: 9,
        data: {
          function_id: "app-fn",
          run_id: "r1",
          event,
          events: [event],
          result: { ok: true },
          _inngest: { status: "Completed" },
        },
      },
    ]);
  });

  it("announces a failure twice over, with the error in Inngest's shape, as the onFailure trigger needs", () => {
    const events = lifecycleEvents(
      run({ status: "failed", error: { name: "NonRetriableError", message: "no" } }),
      9,
      MAX,
    );
    expect(events.map((e) => e.name)).toEqual(["inngest/function.finished", "inngest/function.failed"]);
    expect(events[1]!.data).toMatchObject({
      function_id: "app-fn",
      error: { name: "NonRetriableError", message: "no", error: "NonRetriableError: no" },
      _inngest: { status: "Failed" },
    });
  });

  it("announces a cancellation, and Inngest's event names for Stepwise's system events", () => {
    const invoked = { id: "e2", name: "stepwise/function.invoked", data: {}, ts: 1 };
    const events = lifecycleEvents(run({ status: "cancelled", events: [invoked] }), 9, MAX);
    expect(events.map((e) => e.name)).toEqual(["inngest/function.finished", "inngest/function.cancelled"]);
    expect(events[1]!.data).toMatchObject({
      event: { name: "inngest/function.invoked" },
      _inngest: { status: "Cancelled" },
    });
  });

  it("announces nothing for a skipped run, nor for a run a finished or failed event started (no endless loop)", () => {
    expect(lifecycleEvents(run({ status: "skipped" }), 9, MAX)).toEqual([]);
    for (const name of ["inngest/function.failed", "inngest/function.finished"])
      expect(lifecycleEvents(run({ events: [{ ...event, name }] }), 9, MAX)).toEqual([]);
    expect(lifecycleEvents(run({ events: [{ ...event, name: "inngest/function.cancelled" }] }), 9, MAX)).toHaveLength(
      1,
    );
  });

  it("keeps each event within the event size limit, giving up the batch, the result, then the event's data", () => {
    const big = "x".repeat(4_000);
    const batch = [1, 2, 3].map((n) => ({ ...event, id: `e${n}`, data: { big } }));
    const [finished] = lifecycleEvents(run({ events: batch, output: { big } }), 9, 13_000);
    expect(finished!.data).toMatchObject({ events: [{ id: "e1" }], result: { big } });
    const [smaller] = lifecycleEvents(run({ events: batch, output: { big } }), 9, 9_000);
    expect(smaller!.data).toMatchObject({ result: { truncated: true }, event: { data: { big } } });
    const [smallest] = lifecycleEvents(run({ events: batch, output: { big } }), 9, 1_000);
    expect(smallest!.data).toMatchObject({ event: { id: "e1", data: { truncated: true } } });
    expect(JSON.stringify(smallest!.data).length).toBeLessThan(1_000);
  });
});
