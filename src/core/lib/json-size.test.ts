import { describe, expect, it } from "vitest";
import { formatBytes, jsonBytes } from "./json-size.ts";

describe("json size", () => {
  it("counts the UTF-8 bytes of the JSON, as stored", () => {
    expect(jsonBytes({ a: 1 })).toBe(7);
    expect(jsonBytes("é")).toBe(4);
    expect(jsonBytes(undefined)).toBe(4);
  });

  it("states sizes as limit errors do", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(1024 * 1024)).toBe("1 MiB");
  });
});
