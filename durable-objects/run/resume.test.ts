/**
 * `resumeAt`: when a run found by the start-up pass should be driven. Cut off mid-drive: now; a
 * sleeper: its wake-up; a run waiting for a slot: now (it asks the limiter again); ended: never.
 */
import { describe, expect, it } from "vitest";
import type { HistoryEntry, HistoryEvent } from "./history.ts";
import { resumeAt } from "./resume.ts";
import { apply, foldHistory, type RunState } from "./state.ts";

const NOW = 10_000;

function runWith(events: HistoryEvent[], started = true): RunState {
  const created: HistoryEntry = {
    type: "run.created",
    runId: "r",
    functionId: "f",
    events: [{ id: "e", name: "x", data: {}, ts: 0 }],
    seq: 1,
    at: 0,
  };
  const state = foldHistory([created]);
  if (!state) throw new Error("no state");
  for (const event of [...(started ? [{ type: "run.started" } as const] : []), ...events])
    apply(state, { ...event, seq: state.lastSeq + 1, at: NOW });
  return state;
}

const completed = (id: string): HistoryEvent => ({
  type: "step.completed",
  stepId: id,
  name: id,
  op: "run",
  attempt: 0,
  output: 1,
});
const error = { name: "Error", message: "boom" };

describe("resumeAt", () => {
  it("is now for a run cut off mid-drive: not started, a planned step, or a body to call again", () => {
    expect(resumeAt(runWith([], false), NOW)).toBe(NOW);
    expect(resumeAt(runWith([{ type: "step.scheduled", stepId: "a", name: "a", op: "run" }]), NOW)).toBe(NOW);
    expect(resumeAt(runWith([completed("a")]), NOW)).toBe(NOW);
  });

  it("is a sleeper's wake-up, or now when the wake-up passed while the server was down", () => {
    const sleeper = runWith([completed("a"), { type: "step.sleeping", stepId: "nap", name: "nap", until: 50_000 }]);
    expect(resumeAt(sleeper, NOW)).toBe(50_000);
    expect(resumeAt(sleeper, 60_000)).toBe(60_000);
  });

  it("is a retry's backoff, and a throttled run's admission time", () => {
    const retrying = runWith([
      { type: "step.retrying", stepId: "a", name: "a", attempt: 0, startedAt: NOW, error, retryAt: 30_000 },
    ]);
    expect(resumeAt(retrying, NOW)).toBe(30_000);
    expect(resumeAt(runWith([{ type: "run.admitted", notBefore: 40_000, reason: "throttled" }], false), NOW)).toBe(
      40_000,
    );
  });

  it("is now for a run waiting for a concurrency slot (a lost call-back), and undefined for an ended run", () => {
    expect(
      resumeAt(
        runWith([
          { type: "step.scheduled", stepId: "a", name: "a", op: "run" },
          { type: "run.slot-waiting", reason: "waiting for a concurrency slot" },
        ]),
        NOW,
      ),
    ).toBe(NOW);
    expect(resumeAt(runWith([{ type: "run.completed", output: 1 }]), NOW)).toBeUndefined();
  });
});
