import { describe, expect, it } from "vitest";
import type { HistoryEntry, HistoryEvent } from "../../durable-objects/run/history.ts";
import { buildTimeline } from "./timeline.ts";

let seq = 0;
const at = (ms: number, event: HistoryEvent): HistoryEntry => ({ ...event, seq: ++seq, at: ms });
const created = at(0, {
  type: "run.created",
  runId: "r",
  functionId: "f",
  events: [{ id: "e", name: "x", data: {}, ts: 0 }],
});
const error = { name: "Error", message: "boom" };

describe("buildTimeline", () => {
  it("shows a retried step as failed attempt, backoff, then success", () => {
    const timeline = buildTimeline(
      [
        created,
        at(10, { type: "step.scheduled", stepId: "a", name: "a", op: "run" }),
        at(30, { type: "step.retrying", stepId: "a", name: "a", attempt: 0, startedAt: 12, error, retryAt: 1_030 }),
        at(1_050, {
          type: "step.completed",
          stepId: "a",
          name: "a",
          op: "run",
          attempt: 1,
          startedAt: 1_040,
          output: 1,
        }),
        at(1_060, { type: "run.completed", output: 1 }),
      ],
      5_000,
    );
    expect(timeline).toMatchObject({ from: 0, to: 1_060 });
    expect(timeline.rows).toHaveLength(1);
    expect(timeline.rows[0]?.segments.map(({ kind, from, to }) => [kind, from, to])).toEqual([
      ["failed", 12, 30],
      ["backoff", 30, 1_030],
      ["ok", 1_040, 1_050],
    ]);
    expect(timeline.rows[0]?.segments[0]?.label).toContain("boom");
  });

  it("draws a sleep still going up to now, and a woken sleep up to its waking", () => {
    const sleeping = [created, at(5, { type: "step.sleeping", stepId: "s", name: "nap", until: 100_000 })];
    const timeline = buildTimeline(sleeping, 2_000);
    // What happened up to now, then the rest of the sleep projected, lighter, to its end.
    expect(timeline.rows[0]?.segments).toMatchObject([
      { kind: "sleep", from: 5, to: 2_000 },
      { kind: "sleep", from: 2_000, to: 100_000, projected: true },
    ]);
    expect(timeline.rows[0]?.to).toBe(2_000);
    expect(timeline.to).toBe(100_000);
    const woken = [
      ...sleeping,
      at(900, { type: "step.woken", stepId: "s", name: "nap", early: true }),
      at(950, { type: "step.completed", stepId: "s", name: "nap", op: "sleep", attempt: 0, output: null }),
    ];
    const row = buildTimeline(woken, 2_000).rows[0];
    expect(row?.segments).toMatchObject([{ kind: "sleep", from: 5, to: 900 }]);
    expect(row?.segments[0]?.label).toContain("woken early");
  });

  it("ends a wait when its event arrives and keeps parallel steps on separate rows", () => {
    const timeline = buildTimeline(
      [
        created,
        at(1, { type: "step.scheduled", stepId: "p1", name: "p1", op: "run" }),
        at(1, { type: "step.scheduled", stepId: "p2", name: "p2", op: "run" }),
        at(2, { type: "step.waiting", stepId: "w", name: "w", wait: { event: "order/paid", until: 1_000 } }),
        at(8, { type: "step.completed", stepId: "p1", name: "p1", op: "run", attempt: 0, startedAt: 2, output: null }),
        at(40, { type: "step.completed", stepId: "w", name: "w", op: "wait", attempt: 0, output: {} }),
      ],
      100,
    );
    expect(timeline.rows.map((row) => [row.stepId, row.segments.map((segment) => segment.kind)])).toEqual([
      ["p1", ["ok"]],
      ["p2", ["running"]],
      ["w", ["wait"]],
    ]);
    expect(timeline.rows[1]?.segments[0]).toMatchObject({ from: 1, to: 100 });
    expect(timeline.rows[2]?.segments[0]).toMatchObject({ from: 2, to: 40 });
  });
});
