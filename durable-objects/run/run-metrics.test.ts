import { describe, expect, it } from "vitest";
import { metricsBody } from "../../src/core/telemetry/otlp-metrics.ts";
import { history } from "./sample-history.test-support.ts";
import { runMetrics } from "./run-metrics.ts";

const byName = (metrics: ReturnType<typeof runMetrics>) => new Map(metrics.map((metric) => [metric.name, metric]));

describe("a run's metrics", () => {
  it("count its start, its end with its duration, and each step attempt by outcome, as deltas", () => {
    const metrics = byName(runMetrics(history, 0, 10_000));
    const fn = { "stepwise.function_id": "f" };
    expect(metrics.get("stepwise.runs.started")?.points).toEqual([
      { attributes: fn, startMs: 1_000, atMs: 10_000, value: 1 },
    ]);
    expect(metrics.get("stepwise.runs.ended")?.points).toEqual([
      { attributes: { ...fn, "stepwise.status": "completed" }, startMs: 1_000, atMs: 10_000, value: 1 },
    ]);
    const run = metrics.get("stepwise.run.duration");
    expect(run?.kind === "histogram" && run.points[0]).toMatchObject({
      sum: 8.1,
      counts: [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    });
    const steps = metrics.get("stepwise.step.duration");
    if (steps?.kind !== "histogram") throw new Error("a histogram");
    // The sleep is not an attempt: two attempts of 100 ms, one retried, one completed.
    expect(steps.points.map((point) => [point.attributes["stepwise.outcome"], point.sum])).toEqual([
      ["retrying", 0.1],
      ["completed", 0.1],
    ]);
    expect(steps.points[0]!.counts).toHaveLength(steps.bounds.length + 1);
    expect(steps.points[0]!.counts[steps.bounds.indexOf(0.1)]).toBe(1);
  });

  it("after the last export, only what came since", () => {
    const metrics = byName(runMetrics(history, 4, 10_000));
    expect(metrics.get("stepwise.runs.started")?.points).toEqual([]);
    expect(metrics.get("stepwise.step.duration")?.points).toEqual([]);
    expect(metrics.get("stepwise.runs.ended")?.points).toHaveLength(1);
    expect(runMetrics(history, 7, 10_000).every((metric) => metric.points.length === 0)).toBe(true);
  });

  it("encode as an OTLP/JSON ExportMetricsServiceRequest with delta temporality", () => {
    const body = metricsBody(
      { endpoint: "http://x", headers: {}, serviceName: "stepwise" },
      runMetrics(history, 0, 10_000),
    ) as {
      resourceMetrics: { scopeMetrics: { metrics: Record<string, unknown>[] }[] }[];
    };
    const metrics = body.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    expect(metrics.find((m) => m.name === "stepwise.runs.ended")).toMatchObject({
      unit: "{run}",
      sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: "1", timeUnixNano: "10000000000" }] },
    });
    expect(metrics.find((m) => m.name === "stepwise.step.duration")).toMatchObject({
      histogram: {
        aggregationTemporality: 1,
        dataPoints: [
          { count: "1", bucketCounts: expect.any(Array), explicitBounds: expect.any(Array) },
          { count: "1" },
        ],
      },
    });
  });
});
