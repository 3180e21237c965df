import { describe, expect, it } from "vitest";
import { InvalidFunctionError, Stepwise } from "../../../sdk/index.ts";
import { matchFunctions, nameMatches } from "./match.ts";

const app = new Stepwise({ id: "match-tests" });
const fn = (id: string, trigger: Parameters<typeof app.createFunction>[1], config: { idempotency?: string } = {}) =>
  app.createFunction({ id, ...config }, trigger, () => null);
const event = (name: string, data: Record<string, unknown> = {}) => ({ id: "e1", name, data, ts: 0 });

describe("nameMatches", () => {
  it("matches exact names and prefixes ending in *", () => {
    expect(nameMatches("user/signed-up", "user/signed-up")).toBe(true);
    expect(nameMatches("user/signed-up", "user/signed-up2")).toBe(false);
    expect(nameMatches("user/*", "user/signed-up")).toBe(true);
    expect(nameMatches("user/*", "user/a/b")).toBe(true);
    expect(nameMatches("user/*", "users/x")).toBe(false);
  });
});

describe("matchFunctions", () => {
  const functions = [
    fn("exact", { event: "order/paid" }),
    fn("wild", { event: "order/*" }),
    fn("pro", { event: "order/paid", if: "event.data.plan == 'pro'" }),
    fn("two-triggers", [{ event: "order/paid" }, { event: "order/*" }]),
    fn("keyed", { event: "order/paid" }, { idempotency: "event.data.customer" }),
    fn("cron-only", { cron: "0 9 * * *" }),
  ];

  it("gives every function the event starts, once each, with idempotency keys", () => {
    const matches = matchFunctions(functions, event("order/paid", { plan: "pro", customer: "c1" }));
    expect(matches.map((m) => m.fn.id)).toEqual(["exact", "wild", "pro", "two-triggers", "keyed"]);
    expect(matches.find((m) => m.fn.id === "keyed")?.idempotencyKey).toBe("c1");
  });

  it("skips a function whose `if` does not hold or reads a missing field; runs unkeyed without the key", () => {
    const matches = matchFunctions(functions, event("order/paid"));
    expect(matches.map((m) => m.fn.id)).toEqual(["exact", "wild", "two-triggers", "keyed"]);
    expect(matches.find((m) => m.fn.id === "keyed")?.idempotencyKey).toBeUndefined();
  });
});

describe("registration", () => {
  it("rejects a bad CEL expression with CEL's message", () => {
    expect(() => fn("bad-if", { event: "a", if: "event.data.plan ==" })).toThrow(InvalidFunctionError);
    expect(() => fn("bad-if", { event: "a", if: "event.data.plan ==" })).toThrow(/Invalid expression/);
    expect(() => fn("bad-key", { event: "a" }, { idempotency: "event.data.(" })).toThrow(/Invalid expression/);
  });

  it("rejects a wildcard anywhere but the end", () => {
    expect(() => fn("bad-wild", { event: "user/*/created" })).toThrow(/wildcard/);
  });
});
