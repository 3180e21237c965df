import { describe, expect, it } from "vitest";
import { InvalidDurationError, toMs } from "./duration.ts";

describe("toMs", () => {
  it.each([
    [1500, 1500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["3 days", 259_200_000],
    ["1 year", 31_536_000_000],
    ["2 weeks", 1_209_600_000],
    ["1.5h", 5_400_000],
    ["250ms", 250],
    ["42", 42],
  ])("%j is %d ms", (input, ms) => {
    expect(toMs(input)).toBe(ms);
  });

  it.each(["", "soon", "3 parsecs", "5m later", -1, Number.NaN, "1h 5x"])("rejects %j with a clear error", (input) => {
    expect(() => toMs(input)).toThrow(InvalidDurationError);
    expect(() => toMs(input)).toThrow(/Invalid duration/);
  });
});
