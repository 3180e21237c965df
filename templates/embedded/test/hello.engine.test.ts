// The same function in Stepwise's in-memory engine: no Worker, steps mockable and asserted.
import { TestEngine } from "stepwise/testing";
import { describe, expect, it } from "vitest";
import { hello } from "../src/hello.ts";

describe("hello, in memory", () => {
  it("composes the greeting and sleeps for a second", async () => {
    const engine = new TestEngine(hello, { events: [{ name: "app/hello", data: { name: "Grace" } }] });
    const { result, steps } = await engine.execute();
    expect(result).toEqual({ greeting: "Hello, Grace" });
    expect(steps.map((step) => [step.id, step.op])).toEqual([
      ["compose-greeting", "run"],
      ["pause", "sleep"],
    ]);
  });

  it("uses a mocked step's result", async () => {
    const engine = new TestEngine(hello, { steps: [{ id: "compose-greeting", handler: () => "Hi" }] });
    expect((await engine.execute()).result).toEqual({ greeting: "Hi" });
  });
});
