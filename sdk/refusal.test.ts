import { describe, expect, it } from "vitest";
import { callBinding, markRefusal, refusalOf, StepwiseRefusedError } from "./refusal.ts";

describe("refusals across Workers RPC", () => {
  it("round-trips a message and its code, with or without the name RPC puts in front", () => {
    const marked = markRefusal("No function \"x\" is registered", { code: "function_not_found", status: 404 });
    expect(refusalOf(new Error(marked))).toEqual({ message: 'No function "x" is registered', refusal: { code: "function_not_found", status: 404 } });
    expect(refusalOf(new Error(`StepwiseRefusal: ${marked}`)).refusal?.code).toBe("function_not_found");
  });

  it("leaves an error without a marker (or with a broken one) as it is", () => {
    expect(refusalOf(new Error("Network connection lost."))).toEqual({ message: "Network connection lost." });
    expect(refusalOf(new Error("x\n[stepwise] {not json"))).toEqual({ message: "x\n[stepwise] {not json" });
    expect(refusalOf(new Error('x\n[stepwise] {"code":"BAD CODE","status":200}')).refusal).toBeUndefined();
  });

  it("callBinding throws a typed error for a refusal and rethrows anything else", async () => {
    const refused = await callBinding(() => Promise.reject(new Error(markRefusal("nope", { code: "invalid_request", status: 400 })))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StepwiseRefusedError);
    expect(refused).toMatchObject({ message: "nope", code: "invalid_request", status: 400 });
    const down = new TypeError("binding down");
    await expect(callBinding(() => Promise.reject(down))).rejects.toBe(down);
  });
});
