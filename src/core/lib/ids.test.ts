import { decodeTime, isValid } from "ulid";
import { describe, expect, it } from "vitest";
import { derivedId, newId } from "./ids.ts";

describe("derivedId", () => {
  it("is a valid ULID carrying the given time", async () => {
    const id = await derivedId(1_700_000_000_000, "fn", "event-1");
    expect(isValid(id)).toBe(true);
    expect(decodeTime(id)).toBe(1_700_000_000_000);
  });

  it("is the same for the same parts and differs when any part differs", async () => {
    const a = await derivedId(1, "fn", "event-1");
    expect(await derivedId(1, "fn", "event-1")).toBe(a);
    expect(await derivedId(1, "fn", "event-2")).not.toBe(a);
    expect(await derivedId(1, "other", "event-1")).not.toBe(a);
    expect(await derivedId(1, "fn\u0000event", "1")).not.toBe(await derivedId(1, "fn", "event\u00001"));
  });

  it("sorts with ULIDs by time", async () => {
    expect((await derivedId(0, "x")) < newId()).toBe(true);
  });
});
