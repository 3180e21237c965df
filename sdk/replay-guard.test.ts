import { describe, expect, it } from "vitest";
import { MemoryReplayGuard } from "./replay-guard.ts";

describe("MemoryReplayGuard", () => {
  it("accepts a nonce once", () => {
    const guard = new MemoryReplayGuard();
    expect(guard.claim("a", 10)).toBe(true);
    expect(guard.claim("a", 10)).toBe(false);
    expect(guard.claim("b", 10)).toBe(true);
  });

  it("stays bounded: forgets expired nonces first, then the oldest", () => {
    let now = 0;
    const guard = new MemoryReplayGuard(3, () => now);
    for (const nonce of ["a", "b", "c"]) guard.claim(nonce, nonce === "a" ? 5 : 100);
    now = 10;
    expect(guard.claim("d", 100)).toBe(true); // full: the expired "a" goes
    expect(guard.claim("b", 100)).toBe(false);
    expect(guard.claim("e", 100)).toBe(true); // full, nothing expired: the oldest, "b", goes
    expect(guard.claim("c", 100)).toBe(false);
    expect(guard.claim("b", 100)).toBe(true);
  });
});
