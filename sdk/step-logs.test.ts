import { describe, expect, it } from "vitest";
import { MAX_LOG_LINE_CHARS, MAX_STEP_LOG_LINES, StepLogRecorder } from "./step-logs.ts";
import { hasAsyncContext } from "./console-tap.ts";

describe("a step's log recorder", () => {
  it("keeps lines as text, cuts long ones, and says how many it dropped past its limit", () => {
    const printed: unknown[][] = [];
    const sink = { debug: () => {}, info: (...args: unknown[]) => printed.push(args), warn: () => {}, error: () => {} };
    const recorder = new StepLogRecorder(sink);
    recorder.logger.info("hello", { a: 1 }, new Error("boom"));
    recorder.add("info", ["x".repeat(MAX_LOG_LINE_CHARS + 50)]);
    for (let i = 0; i < MAX_STEP_LOG_LINES + 5; i++) recorder.add("debug", [`line ${i}`], false);
    const { logs = [] } = recorder.lines();
    expect(logs[0]).toMatchObject({ level: "info", message: 'hello {"a":1} Error: boom' });
    expect(logs[1]?.message).toHaveLength(MAX_LOG_LINE_CHARS + 1);
    expect(logs).toHaveLength(MAX_STEP_LOG_LINES + 1);
    expect(logs.at(-1)).toMatchObject({ level: "warn", message: expect.stringContaining("7 more lines dropped") });
    // Printed as they came, except those the function's own logger printed already.
    expect(printed).toHaveLength(2);
    expect(new StepLogRecorder().lines()).toEqual({});
  });

  it("keeps each step's console lines by async context, parallel steps too, and no line twice", async () => {
    // Node has AsyncLocalStorage; Workers without nodejs_compat do not (test/step-logs.test.ts covers that).
    expect(hasAsyncContext()).toBe(true);
    const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    const a = new StepLogRecorder(quiet);
    const b = new StepLogRecorder(quiet);
    a.open();
    b.open();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
    console.log("outside every step");
    await Promise.all([
      a.run(async () => {
        console.log("a1", { n: 1 });
        await tick();
        console.warn("a2");
        a.logger.info("a through its logger");
      }),
      b.run(async () => {
        await tick();
        console.log("b1");
        await tick();
        console.error("b2");
      }),
    ]);
    a.close();
    b.close();
    console.log("after the steps");
    expect(a.lines().logs?.map((line) => [line.level, line.message])).toEqual([
      ["info", 'a1 {"n":1}'],
      ["warn", "a2"],
      ["info", "a through its logger"],
    ]);
    expect(b.lines().logs?.map((line) => [line.level, line.message])).toEqual([
      ["info", "b1"],
      ["error", "b2"],
    ]);
  });
});
