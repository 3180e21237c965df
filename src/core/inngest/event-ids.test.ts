import { decodeTime, isValid } from "ulid";
import { describe, expect, it } from "vitest";
import { seededEventIds } from "./event-ids.ts";

const SEED = `1700000000000,${btoa(String.fromCharCode(0, 1, 2, 3, 4, 5, 0, 0, 0, 7))}`;

describe("event ids from the SDK's seed", () => {
  it("gives each event of a send its own ULID of the seed's time, the same for the same seed", () => {
    const ids = seededEventIds(SEED, 3)!;
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) {
      expect(isValid(id)).toBe(true);
      expect(decodeTime(id)).toBe(1_700_000_000_000);
    }
    expect(seededEventIds(SEED, 3)).toEqual(ids);
    // The index is added to the last four bytes: 7 + 1, 7 + 2, 7 + 3 in the last characters.
    expect(ids.map((id) => id.slice(-2))).toEqual(["08", "09", "0A"]);
  });

  it("ignores a seed the SDK would not make", () => {
    for (const seed of [null, "", "abc", "12,AAAA", `x,${btoa("0123456789")}`, `${2 ** 49},${btoa("0123456789")}`])
      expect(seededEventIds(seed, 1), String(seed)).toBeUndefined();
  });
});
