import { describe, expect, it } from "vitest";
import { checkSignature, hmacHex, sign, signatureValue, verifySignature } from "./signing.ts";

const NOW = 1_800_000_000_000;
const POST = { request: "POST" };

describe("signatures", () => {
  it("accepts a body signed with the current or the fallback key, within five minutes", async () => {
    const header = await sign('{"a":1}', "old-key-0123456789", NOW, POST);
    expect(header).toMatch(/^t=1800000000,n=[0-9a-f]{32},v1=[0-9a-f]{64}$/);
    expect(
      await verifySignature(header, '{"a":1}', ["new-key-0123456789", "old-key-0123456789"], NOW + 4 * 60_000, POST),
    ).toBeNull();
    expect(await verifySignature(header, '{"a":1}', ["new-key-0123456789", undefined], NOW, POST)).toBe(
      "the signature does not match any signing key",
    );
  });

  it("refuses a changed body, a stale or future time, and a missing or malformed header", async () => {
    const header = await sign("body", "key-0123456789abcdef", NOW, POST);
    const keys = ["key-0123456789abcdef"];
    expect(await verifySignature(header, "body!", keys, NOW, POST)).toBe(
      "the signature does not match any signing key",
    );
    expect(await verifySignature(header, "body", keys, NOW + 6 * 60_000, POST)).toContain("stale");
    expect(await verifySignature(header, "body", keys, NOW - 6 * 60_000, POST)).toContain("stale");
    expect(await verifySignature(undefined, "body", keys, NOW, POST)).toBe("the request is not signed");
    expect(await verifySignature("t=1,v1=zz", "body", keys, NOW, POST)).toBe("the signature header is malformed");
    expect(await verifySignature(header, "body", [], NOW, POST)).toBe("no signing key is configured to check it");
  });

  it("binds a signature to its purpose: a request's method, or the one request an answer answers", async () => {
    const keys = ["key-0123456789abcdef"];
    const request = await sign("", "key-0123456789abcdef", NOW, { request: "GET" });
    expect(await verifySignature(request, "", keys, NOW, { request: "GET" })).toBeNull();
    expect(await verifySignature(request, "", keys, NOW, POST)).not.toBeNull();
    const answer = await sign("{}", "key-0123456789abcdef", NOW, { answerTo: signatureValue(request) });
    expect(await verifySignature(answer, "{}", keys, NOW, { answerTo: signatureValue(request) })).toBeNull();
    const other = await sign("", "key-0123456789abcdef", NOW + 1_000, { request: "GET" });
    expect(await verifySignature(answer, "{}", keys, NOW, { answerTo: signatureValue(other) })).not.toBeNull();
  });

  it("gives every request a nonce of its own, signed with it; a request without one, or with another, is refused", async () => {
    const key = "key-0123456789abcdef";
    const a = await sign("body", key, NOW, POST);
    const b = await sign("body", key, NOW, POST);
    expect(a).not.toBe(b);
    expect(await checkSignature(a, "body", [key], NOW, POST)).toEqual({
      nonce: /n=([0-9a-f]{32})/.exec(a)?.[1],
      expiresAt: NOW + 5 * 60_000,
    });
    const swapped = a.replace(/n=[0-9a-f]{32}/, `n=${"0".repeat(32)}`);
    expect(await verifySignature(swapped, "body", [key], NOW, POST)).toBe(
      "the signature does not match any signing key",
    );
    const withoutNonce = `t=1800000000,v1=${await hmacHex(key, "1800000000.req:POST.body")}`;
    expect(await verifySignature(withoutNonce, "body", [key], NOW, POST)).toContain("no nonce");
  });
});
