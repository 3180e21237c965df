import { describe, expect, it } from "vitest";
import { planAfterChange, planKeep, planTick } from "./schedule-plan.ts";
import type { ScheduleToKeep } from "../../src/core/schedules/kept.ts";

const MINUTE = 60_000;
const every15: ScheduleToKeep = {
  id: "s",
  functionId: "f",
  interval: 15 * MINUTE,
  anchor: 0,
  data: {},
  paused: false,
};

describe("a schedule made at run time", () => {
  it("ticks on its interval from its anchor, and keeps the tick it waits for while unchanged", () => {
    const kept = planKeep(undefined, every15, 20 * MINUTE);
    expect(kept.nextTick).toBe(30 * MINUTE);
    expect(planKeep(kept, { ...every15, data: { a: 1 } }, 29 * MINUTE).nextTick).toBe(30 * MINUTE);
    expect(planKeep(kept, { ...every15, interval: 60 * MINUTE }, 29 * MINUTE).nextTick).toBe(60 * MINUTE);
  });

  it("runs a due tick once (a missed one too) and waits for the next after now", () => {
    const kept = planKeep(undefined, every15, 20 * MINUTE);
    expect(planTick(kept, 29 * MINUTE)).toEqual({ next: kept });
    const late = planTick(kept, 100 * MINUTE);
    expect(late.runTick).toBe(30 * MINUTE);
    expect(late.next).toMatchObject({ nextTick: 105 * MINUTE, lastTick: 30 * MINUTE });
  });

  it("waits for nothing while paused, and resumes from now without catching up", () => {
    const kept = planKeep(undefined, every15, 20 * MINUTE);
    const paused = planKeep(kept, { ...every15, paused: true }, 21 * MINUTE);
    expect(paused.nextTick).toBeNull();
    expect(planTick(paused, 1_000 * MINUTE)).toEqual({ next: paused });
    expect(planKeep(paused, every15, 1_000 * MINUTE).nextTick).toBe(1_005 * MINUTE);
  });

  it("follows a cron expression in its time zone", () => {
    const daily = planKeep(
      undefined,
      { ...every15, interval: undefined, cron: "0 9 * * *", timezone: "Asia/Tokyo" },
      Date.UTC(2026, 0, 1, 12),
    );
    expect(new Date(daily.nextTick!).toISOString()).toBe("2026-01-02T00:00:00.000Z");
  });

  it("after a tick, a change that came in meanwhile is kept, waiting for a tick after the one just run", () => {
    const kept = planKeep(undefined, every15, 20 * MINUTE);
    // The tick at 30 min runs; meanwhile the data changed (same timing: it kept 30 min as next).
    const changed = planKeep(kept, { ...every15, data: { a: 1 } }, 30 * MINUTE);
    expect(changed.nextTick).toBe(30 * MINUTE);
    const after = planAfterChange(changed, 30 * MINUTE, 30 * MINUTE + 500);
    expect(after).toMatchObject({ data: { a: 1 }, nextTick: 45 * MINUTE, lastTick: 30 * MINUTE });
    // A pause that came in meanwhile stays paused.
    const paused = planKeep(kept, { ...every15, paused: true }, 30 * MINUTE);
    expect(planAfterChange(paused, 30 * MINUTE, 30 * MINUTE)).toMatchObject({ paused: true, nextTick: null });
  });
});
