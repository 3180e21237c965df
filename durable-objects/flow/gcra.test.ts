import { describe, expect, it } from "vitest";
import { admit, type Rate } from "./gcra.ts";

/** When each of `n` runs arriving together at `now` may start. */
function starts(rate: Rate, n: number, now = 0): number[] {
  let tat: number | undefined;
  return Array.from({ length: n }, () => {
    const admission = admit(rate, tat, now);
    tat = admission.tat;
    return admission.at;
  });
}

describe("GCRA", () => {
  it("spaces runs out at limit per period, with no burst", () => {
    expect(starts({ limit: 10, periodMs: 1_000, burst: 0 }, 5)).toEqual([0, 100, 200, 300, 400]);
  });

  it("lets a burst through at once, then spaces the rest", () => {
    expect(starts({ limit: 10, periodMs: 1_000, burst: 2 }, 5)).toEqual([0, 0, 0, 100, 200]);
  });

  it("forgets past load once the period has passed", () => {
    const rate = { limit: 1, periodMs: 1_000, burst: 0 };
    const first = admit(rate, undefined, 0);
    expect(admit(rate, first.tat, 5_000).at).toBe(5_000);
  });
});
