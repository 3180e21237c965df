import { describe, expect, it } from "vitest";
import { planAlarm, planEnsure, type Schedule } from "./cron-plan.ts";

const at = (iso: string): number => Date.parse(iso);
const daily: Schedule = {
  functionId: "report",
  cron: "0 9 * * *",
  timezone: "Europe/Paris",
  nextTick: at("2026-01-05T08:00:00Z"),
};

describe("planEnsure", () => {
  it("waits for the next tick of a new schedule", () => {
    const { nextTick: _, ...target } = daily;
    expect(planEnsure(undefined, target, at("2026-01-05T07:00:00Z"))?.nextTick).toBe(at("2026-01-05T08:00:00Z"));
  });

  it("keeps an unchanged schedule, even one whose tick passed while the Worker was down", () => {
    const { nextTick: _, ...target } = daily;
    expect(planEnsure(daily, target, at("2026-01-07T00:00:00Z"))).toBe(daily);
  });

  it("re-plans when the expression or the zone changes", () => {
    const changed = planEnsure(
      daily,
      { functionId: "report", cron: "0 9 * * *", timezone: "UTC" },
      at("2026-01-05T07:00:00Z"),
    );
    expect(changed?.nextTick).toBe(at("2026-01-05T09:00:00Z"));
  });
});

describe("planAlarm", () => {
  it("runs nothing on an early alarm", () => {
    expect(planAlarm(daily, at("2026-01-05T07:59:59Z"))).toEqual({ next: daily });
  });

  it("runs the due tick and waits for the following one", () => {
    expect(planAlarm(daily, at("2026-01-05T08:00:00.005Z"))).toEqual({
      runTick: daily.nextTick,
      next: { ...daily, nextTick: at("2026-01-06T08:00:00Z") },
    });
  });

  it("after three days down, runs one tick, then resumes from now", () => {
    const plan = planAlarm(daily, at("2026-01-08T12:00:00Z"));
    expect(plan.runTick).toBe(daily.nextTick);
    expect(plan.next?.nextTick).toBe(at("2026-01-09T08:00:00Z"));
  });
});
