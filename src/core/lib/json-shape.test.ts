import { describe, expect, it } from "vitest";
import { deeperThan, MAX_JSON_DEPTH } from "./json-shape.ts";

const nested = (levels: number): unknown => {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe("deeperThan", () => {
  it("counts objects and arrays, not scalars", () => {
    expect(deeperThan({ a: 1 }, 1)).toBe(false);
    expect(deeperThan({ a: { b: 1 } }, 1)).toBe(true);
    expect(deeperThan("text", 0)).toBe(false);
    expect(deeperThan(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(deeperThan(nested(MAX_JSON_DEPTH + 1))).toBe(true);
  });

  it("asks about any depth without overflowing the stack", () => {
    expect(deeperThan(nested(200_000))).toBe(true);
  });
});
