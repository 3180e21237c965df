import { describe, expect, it } from "vitest";
import { issueSession, safeNext, SESSION_MS, sessionValid } from "./session.ts";

describe("dashboard sessions", () => {
  it("a token is valid for its key until it expires, and for no other key", async () => {
    const now = 1_800_000_000_000;
    const token = await issueSession("key-a", now);
    expect(await sessionValid(token, ["key-b", "key-a"], now + 1_000)).toBe(true);
    expect(await sessionValid(token, ["key-b"], now + 1_000)).toBe(false);
    expect(await sessionValid(token, ["key-a"], now + SESSION_MS)).toBe(false);
    expect(await sessionValid(token.replace(/^\d+/, String(now + SESSION_MS - 5)), ["key-a"], now + 1_000)).toBe(false);
    expect(await sessionValid(undefined, ["key-a"], now)).toBe(false);
  });

  it("after login, goes only to dashboard paths", () => {
    expect(safeNext("/dashboard/runs?status=failed")).toBe("/dashboard/runs?status=failed");
    expect(safeNext("https://evil.example/")).toBe("/dashboard/runs");
    expect(safeNext("//evil.example/dashboard")).toBe("/dashboard/runs");
    expect(safeNext("/dashboard//evil.example")).toBe("/dashboard/runs");
    expect(safeNext(undefined)).toBe("/dashboard/runs");
  });
});
