import { describe, expect, it } from "vitest";
import { groupBy } from "./group.ts";

describe("groupBy", () => {
  it("keeps the order of items within a group and of keys as first seen", () => {
    const groups = groupBy(["b1", "a1", "b2", "c1", "a2"], (item) => item[0]);
    expect([...groups]).toEqual([
      ["b", ["b1", "b2"]],
      ["a", ["a1", "a2"]],
      ["c", ["c1"]],
    ]);
  });

  it("gives an empty map for no items", () => {
    expect(groupBy([], () => 0).size).toBe(0);
  });
});
