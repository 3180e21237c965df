import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";

describe("backoffDelay", () => {
  it("doubles per retry up to the cap", () => {
    const max = (retry: number) => backoffDelay(retry, DEFAULT_BACKOFF, () => 1);
    expect([1, 2, 3, 4].map(max)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(max(30)).toBe(600_000);
  });

  it("jitters between half and all of the nominal delay", () => {
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(2_000);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0.5)).toBe(3_000);
  });
});
