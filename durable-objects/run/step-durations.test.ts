import { describe, expect, it } from "vitest";
import { leOf, mergeDurations, STEP_LE_SECONDS } from "../../src/core/run-index/step-durations.ts";
import type { HistoryEntry } from "./history.ts";
import { countAttempt } from "./step-durations.ts";

const entry = (fields: Record<string, unknown>) =>
  ({ seq: 1, stepId: "s", name: "s", attempt: 0, ...fields }) as unknown as HistoryEntry;

describe("step durations", () => {
  it("put a duration in the first bucket whose bound holds it, past the last in +Inf", () => {
    expect(leOf(0)).toBe(0);
    expect(leOf(5)).toBe(0);
    expect(leOf(6)).toBe(1);
    expect(leOf(1_000)).toBe(STEP_LE_SECONDS.indexOf(1));
    expect(leOf(10_000_000)).toBe(STEP_LE_SECONDS.length);
  });

  it("count attempts that ran code, not copied steps, sleeps or waits", () => {
    let counted = countAttempt(undefined, entry({ type: "run.started", at: 0 }));
    expect(counted).toBeUndefined();
    counted = countAttempt(counted, entry({ type: "step.retrying", at: 300, startedAt: 100, retryAt: 1_000 }));
    counted = countAttempt(counted, entry({ type: "step.completed", op: "run", at: 2_000, startedAt: 1_000 }));
    counted = countAttempt(
      counted,
      entry({ type: "step.completed", op: "run", at: 5, startedAt: 0, replayedFrom: "r" }),
    );
    counted = countAttempt(counted, entry({ type: "step.completed", op: "sleep", at: 90_000, startedAt: 0 }));
    counted = countAttempt(counted, entry({ type: "step.failed", op: "run", at: 2_500, startedAt: 2_000 }));
    expect(mergeDurations([counted!])).toEqual([
      { le: STEP_LE_SECONDS.indexOf(0.25), n: 1, sumMs: 200 },
      { le: STEP_LE_SECONDS.indexOf(0.5), n: 1, sumMs: 500 },
      { le: STEP_LE_SECONDS.indexOf(1), n: 1, sumMs: 1_000 },
    ]);
  });

  it("add up bucket by bucket", () => {
    expect(
      mergeDurations([
        [{ le: 3, n: 1, sumMs: 200 }],
        [
          { le: 3, n: 2, sumMs: 300 },
          { le: 0, n: 1, sumMs: 1 },
        ],
      ]),
    ).toEqual([
      { le: 0, n: 1, sumMs: 1 },
      { le: 3, n: 3, sumMs: 500 },
    ]);
  });
});
