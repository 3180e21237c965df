import { describe, expect, it } from "vitest";
import { cronError, nextCronTick } from "./cron.ts";

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe("nextCronTick", () => {
  it("fires at the local time of the zone, winter and summer", () => {
    expect(iso(nextCronTick("0 9 * * MON", "Europe/Paris", at("2026-01-01T00:00:00Z")))).toBe(
      "2026-01-05T08:00:00.000Z",
    );
    expect(iso(nextCronTick("0 9 * * MON", "Europe/Paris", at("2026-07-01T00:00:00Z")))).toBe(
      "2026-07-06T07:00:00.000Z",
    );
  });

  it("is UTC without a zone, and strictly after the given time", () => {
    expect(iso(nextCronTick("0 9 * * *", undefined, at("2026-01-01T09:00:00Z")))).toBe("2026-01-02T09:00:00.000Z");
  });

  it("neither loses nor doubles a tick across daylight saving changes", () => {
    const ticks = (from: string, n: number): (string | undefined)[] => {
      const out: (string | undefined)[] = [];
      let t = at(from);
      for (let i = 0; i < n; i++) {
        t = nextCronTick("30 2 * * *", "Europe/Paris", t)!;
        out.push(iso(t));
      }
      return out;
    };
    // 2026-03-29: 02:30 does not exist in Paris; the tick fires at 03:00 CEST.
    expect(ticks("2026-03-28T00:00:00Z", 3)).toEqual([
      "2026-03-28T01:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z",
    ]);
    // 2026-10-25: 02:30 happens twice; the tick fires once, at the first.
    expect(ticks("2026-10-24T00:00:00Z", 3)).toEqual([
      "2026-10-24T00:30:00.000Z",
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
    ]);
  });
});

describe("cronError", () => {
  it("accepts valid schedules", () => {
    expect(cronError("0 9 * * MON", "Europe/Paris")).toBeUndefined();
    expect(cronError("*/5 * * * *")).toBeUndefined();
  });

  it("names what is wrong", () => {
    expect(cronError("61 * * * *")).toMatch(/Invalid cron expression "61 \* \* \* \*".*minute/);
    expect(cronError("0 9 * * *", "Mars/Olympus")).toBe(
      '"Mars/Olympus" is not an IANA time zone (like "Europe/Paris")',
    );
  });
});
