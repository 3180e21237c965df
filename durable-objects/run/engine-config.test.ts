import { describe, expect, it } from "vitest";
import { functionConfigSchema } from "../../sdk/function.ts";
import { DEFAULT_BACKOFF } from "../../src/core/lib/backoff.ts";
import { MAX_STEPS_PER_RUN } from "../../src/core/limits.ts";
import { engineConfig } from "./engine-config.ts";

describe("engineConfig", () => {
  it("gives a run without a function config no retries, the default backoff and the limits", () => {
    expect(engineConfig(undefined)).toMatchObject({
      retries: 0,
      backoff: DEFAULT_BACKOFF,
      maxSteps: MAX_STEPS_PER_RUN,
    });
  });

  it("reads retries, backoff and timeouts as milliseconds, and lifts cancelOn's match into a condition", () => {
    const config = functionConfigSchema.parse({
      id: "f",
      retries: 5,
      backoff: { initial: "2s", coefficient: 3, max: "1m" },
      timeouts: { start: "10s", finish: "1h" },
      cancelOn: [{ event: "order.cancelled", match: "data.orderId", timeout: "1d" }],
    });
    expect(engineConfig(config)).toMatchObject({
      retries: 5,
      backoff: { initialMs: 2_000, coefficient: 3, maxMs: 60_000 },
      startTimeoutMs: 10_000,
      finishTimeoutMs: 3_600_000,
      cancelOn: [{ event: "order.cancelled", if: "event.data.orderId == async.data.orderId", timeoutMs: 86_400_000 }],
    });
  });

  it("lifts the step result limit to 100 MiB only where an R2 bucket keeps large results", () => {
    expect(engineConfig(undefined).maxOutputBytes).toBe(1024 * 1024);
    expect(engineConfig(undefined, undefined, { payloads: true }).maxOutputBytes).toBe(100 * 1024 * 1024);
    expect(engineConfig(undefined, undefined, { payloads: true }).maxResultBytes).toBe(100 * 1024 * 1024);
    expect(engineConfig(undefined).maxResultBytes).toBe(1024 * 1024);
  });
});
