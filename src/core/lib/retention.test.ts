import { describe, expect, it } from "vitest";
import { eventRetentionMs, retentionMs } from "./retention.ts";

const DAY = 24 * 60 * 60 * 1000;

describe("retention periods", () => {
  it("runs: STEPWISE_RETENTION_DAYS of at least 2, else 30 days", () => {
    expect(retentionMs({})).toBe(30 * DAY);
    expect(retentionMs({ STEPWISE_RETENTION_DAYS: "7" })).toBe(7 * DAY);
    expect(retentionMs({ STEPWISE_RETENTION_DAYS: "1" })).toBe(30 * DAY);
  });

  it("events: STEPWISE_EVENT_RETENTION_DAYS of at least 2 when set, else the run period", () => {
    expect(eventRetentionMs({ STEPWISE_RETENTION_DAYS: "10" })).toBe(10 * DAY);
    expect(eventRetentionMs({ STEPWISE_RETENTION_DAYS: "10", STEPWISE_EVENT_RETENTION_DAYS: "3" })).toBe(3 * DAY);
    expect(eventRetentionMs({ STEPWISE_EVENT_RETENTION_DAYS: "1" })).toBe(30 * DAY);
    expect(eventRetentionMs({ STEPWISE_EVENT_RETENTION_DAYS: "soon" })).toBe(30 * DAY);
  });
});
