import { describe, expect, it } from "vitest";
import { admit } from "./gcra.ts";

describe("GCRA", () => {
  it("spaces runs out at limit per period, with no burst", () => {
    const rate = { limit: 10, periodMs: 1_000, burst: 0 };
    let tat: number | undefined;
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const admission = admit(rate, tat, 0);
      starts.push(admission.at);
      tat = admission.tat;
    }
    expect(starts).toEqual([0, 100, 200, 300, 400]);
  });

  it("lets a burst through at once, then spaces the rest", () => {
    const rate = { limit: 10, periodMs: 1_000, burst: 2 };
    let tat: number | undefined;
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const admission = admit(rate, tat, 0);
      starts.push(admission.at);
      tat = admission.tat;
    }
    expect(starts).toEqual([0, 0, 0, 100, 200]);
  });

  it("forgets past load once the period has passed", () => {
    const rate = { limit: 1, periodMs: 1_000, burst: 0 };
    const first = admit(rate, undefined, 0);
    expect(admit(rate, first.tat, 5_000).at).toBe(5_000);
  });
});
