import { describe, expect, it } from "vitest";
import { compileExpression, expressionError, holds, InvalidExpressionError, keyOf } from "./expression.ts";

const event = { name: "user/signed-up", data: { plan: "pro", amount: 150, userId: "u1", tags: ["a"] } };

describe("expressions", () => {
  it("evaluates conditions against the event", () => {
    expect(holds(compileExpression(`event.data.plan == "pro"`), { event })).toBe(true);
    expect(holds(compileExpression(`event.data.amount > 100 && "a" in event.data.tags`), { event })).toBe(true);
    expect(holds(compileExpression(`event.data.plan == "free"`), { event })).toBe(false);
  });

  it("treats a missing field or a non-boolean result as not holding", () => {
    expect(holds(compileExpression(`event.data.missing == "x"`), { event })).toBe(false);
    expect(holds(compileExpression(`event.data.plan`), { event })).toBe(false);
  });

  it("compares the incoming event with the run's event", () => {
    const async = { name: "invoice/approved", data: { userId: "u1" } };
    expect(holds(compileExpression(`async.data.userId == event.data.userId`), { event, async })).toBe(true);
  });

  it("gives keys as strings, and none for a missing field", () => {
    expect(keyOf(compileExpression(`event.data.userId`), { event })).toBe("u1");
    expect(keyOf(compileExpression(`event.data.amount`), { event })).toBe("150");
    expect(keyOf(compileExpression(`event.data.plan == 'pro' ? 120 : 0`), { event })).toBe("120");
    expect(keyOf(compileExpression(`event.data.nope`), { event })).toBeUndefined();
  });

  it("rejects an expression that does not parse, with CEL's message", () => {
    expect(() => compileExpression(`event.data.plan == `)).toThrow(InvalidExpressionError);
    expect(expressionError(`event.data.plan == `)).toMatch(/Invalid expression .*expecting/);
    expect(expressionError(`event.data.plan == "pro"`)).toBeUndefined();
  });
});

describe("the compile cache", () => {
  it("stays bounded however many distinct expressions arrive", async () => {
    const { compileExpression, compiledCount, MAX_COMPILED_EXPRESSIONS } = await import("./expression.ts");
    for (let i = 0; i < MAX_COMPILED_EXPRESSIONS + 50; i++) compileExpression(`event.data.n == ${i}`);
    expect(compiledCount()).toBe(MAX_COMPILED_EXPRESSIONS);
    expect(compileExpression("event.data.n == 3").evaluate({ event: { data: { n: 3 } } })).toEqual({
      ok: true,
      value: true,
    });
  });
});
