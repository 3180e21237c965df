/**
 * Golden journals: histories recorded by an earlier version and kept as files (golden/), replayed
 * through today's engine and SDK. A change that could not resume a stored run (a history event
 * read differently, a step matched differently) fails here, before it reaches a deployment.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Stepwise } from "../../sdk/client.ts";
import { execute } from "../../sdk/execution.ts";
import type { EngineConfig } from "./engine.ts";
import checkoutAsleep from "./golden/checkout-asleep.json";
import { historyEventSchema, type HistoryEntry, type HistoryEvent } from "./history.ts";
import { memoryPorts } from "./memory-journal.test-support.ts";
import { drive, type RunPorts } from "./runner.ts";
import { MAX_STEPS_PER_CALL } from "./requests.ts";
import { apply, foldHistory, type RunState } from "./state.ts";

const config: EngineConfig = {
  retries: 2,
  backoff: { initialMs: 1_000, coefficient: 2, maxMs: 60_000 },
  maxSteps: 100,
  maxOutputBytes: 1 << 20,
};
const client = new Stepwise({ id: "golden" });

/** A stored journal, read back as the RunObject reads its rows: every entry validated. */
function journal(stored: unknown): HistoryEntry[] {
  return z
    .array(z.unknown())
    .parse(stored)
    .map((entry) => ({
      ...historyEventSchema.parse(entry),
      ...z.object({ seq: z.number(), at: z.number() }).parse(entry),
    }));
}

/** Checkout as it was when the journal was recorded (`reorder`: as someone later changed it). */
function checkout(executed: string[], reorder = false) {
  return client.createFunction<{ orderId: string; amount: number }>({ id: "checkout" }, [], async ({ event, step }) => {
    const reserve = () =>
      step.run("reserve-stock", () => (executed.push("reserve-stock"), { reservationId: `res-${event.data.orderId}` }));
    const charge = () => step.run("charge-card", () => (executed.push("charge-card"), { charged: event.data.amount }));
    if (reorder) {
      const charged = await charge();
      return { ...(await reserve()), ...charged };
    }
    const reservation = await reserve();
    await step.sleep("cool-off", "1h");
    return { ...reservation, ...(await charge()) };
  });
}

/** Replays `history` with `fn` as the RunObject would after its alarm: past the sleep. */
async function replay(history: HistoryEntry[], fn: ReturnType<typeof checkout>): Promise<RunState> {
  const state = foldHistory(history) as RunState;
  const record = (events: HistoryEvent[]) =>
    events.forEach((event) => apply(state, { ...event, seq: state.lastSeq + 1, at: Date.now() } as HistoryEntry));
  const ports: RunPorts = {
    ...memoryPorts(state, record, (request, live) => execute(fn, request, live)),
    batches: { max: MAX_STEPS_PER_CALL, live: true },
  };
  const wake = [...state.steps.values()].find((step) => step.status === "sleeping")?.until ?? 0;
  await drive(ports, config, { budgetMs: 10_000, skipTo: wake + 1 });
  return state;
}

describe("golden journals", () => {
  it("a checkout recorded asleep after its first step resumes: the recorded step is not run again, the rest runs once", async () => {
    const executed: string[] = [];
    const state = await replay(journal(checkoutAsleep), checkout(executed));
    expect(state.terminal).toBe("completed");
    expect(state.output).toEqual({ reservationId: "res-o-1", charged: 42 });
    expect(executed).toEqual(["charge-card"]);
  });

  it("the same journal under code whose steps were reordered fails the run with NonDeterminismError naming the steps", async () => {
    const executed: string[] = [];
    const state = await replay(journal(checkoutAsleep), checkout(executed, true));
    expect(state.terminal).toBe("failed");
    expect(state.error?.name).toBe("NonDeterminismError");
    expect(state.error?.message).toContain(
      '"reserve-stock", "cool-off" that the function no longer reaches; it reached "charge-card" instead',
    );
    expect(executed).toEqual([]);
  });
});
