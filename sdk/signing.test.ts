import { describe, expect, it } from "vitest";
import { sign, verifySignature } from "./signing.ts";

const NOW = 1_800_000_000_000;

describe("signatures", () => {
  it("accepts a body signed with the current or the fallback key, within five minutes", async () => {
    const header = await sign('{"a":1}', "old-key-0123456789", NOW);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(await verifySignature(header, '{"a":1}', ["new-key-0123456789", "old-key-0123456789"], NOW + 4 * 60_000)).toBeNull();
    expect(await verifySignature(header, '{"a":1}', ["new-key-0123456789", undefined], NOW)).toBe("the signature does not match any signing key");
  });

  it("refuses a changed body, a stale or future time, and a missing or malformed header", async () => {
    const header = await sign("body", "key-0123456789abcdef", NOW);
    const keys = ["key-0123456789abcdef"];
    expect(await verifySignature(header, "body!", keys, NOW)).toBe("the signature does not match any signing key");
    expect(await verifySignature(header, "body", keys, NOW + 6 * 60_000)).toContain("stale");
    expect(await verifySignature(header, "body", keys, NOW - 6 * 60_000)).toContain("stale");
    expect(await verifySignature(undefined, "body", keys, NOW)).toBe("the request is not signed");
    expect(await verifySignature("t=1,v1=zz", "body", keys, NOW)).toBe("the signature header is malformed");
    expect(await verifySignature(header, "body", [], NOW)).toBe("no signing key is configured to check it");
  });
});
