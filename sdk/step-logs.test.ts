import { describe, expect, it } from "vitest";
import { MAX_LOG_LINE_CHARS, MAX_STEP_LOG_LINES, StepLogRecorder } from "./step-logs.ts";

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

  it("keeps console lines while its step is the only one running, and no line twice", () => {
    const recorder = new StepLogRecorder({ debug: () => {}, info: console.info, warn: () => {}, error: () => {} });
    console.log("before the step");
    recorder.open();
    console.log("plain", { n: 1 });
    console.warn("careful");
    recorder.logger.info("through its logger");
    const other = new StepLogRecorder();
    other.open();
    console.log("two steps run: whose line this is cannot be known");
    other.close();
    recorder.close();
    console.log("after the step");
    expect(recorder.lines().logs?.map((line) => [line.level, line.message])).toEqual([
      ["info", 'plain {"n":1}'],
      ["warn", "careful"],
      ["info", "through its logger"],
    ]);
    expect(other.lines()).toEqual({});
  });
});
