/**
 * Metrics over OTLP/HTTP (JSON) to `<endpoint>/v1/metrics`. What a run did is sent by its
 * RunObject as deltas when it happens (steps' durations, the run's start and end: run-metrics.ts),
 * so no object adds up every run; what only exists deployment-wide (events waiting, runs waiting,
 * paused functions) is sent as gauges on the Worker's cron tick (tick-metrics.ts).
 */
import { attributes, nanos, postOtlp, resource, scope, type OtlpTarget } from "./otlp.ts";

type Attributes = Record<string, string | number | boolean>;

/** One metric with its data points, in the shape OTLP names. */
export type MetricData =
  | {
      kind: "histogram";
      name: string;
      unit: string;
      description: string;
      /** Upper bounds; a point has one count more than there are bounds (the last: above them all). */
      bounds: readonly number[];
      points: { attributes: Attributes; startMs: number; atMs: number; counts: number[]; sum: number }[];
    }
  | {
      kind: "sum";
      name: string;
      unit: string;
      description: string;
      /** Delta: each point counts what happened from its start to its time. Cumulative: since the start. */
      temporality: "delta" | "cumulative";
      points: { attributes: Attributes; startMs?: number; atMs: number; value: number }[];
    }
  | {
      kind: "gauge";
      name: string;
      unit: string;
      description: string;
      points: { attributes: Attributes; atMs: number; value: number }[];
    };

/** AggregationTemporality in OTLP. */
const TEMPORALITY = { delta: 1, cumulative: 2 } as const;

const number = (value: number) => (Number.isInteger(value) ? { asInt: String(value) } : { asDouble: value });

function encode(metric: MetricData): unknown {
  const head = { name: metric.name, unit: metric.unit, description: metric.description };
  switch (metric.kind) {
    case "histogram":
      return {
        ...head,
        histogram: {
          aggregationTemporality: TEMPORALITY.delta,
          dataPoints: metric.points.map((point) => ({
            attributes: attributes(point.attributes),
            startTimeUnixNano: nanos(point.startMs),
            timeUnixNano: nanos(point.atMs),
            count: String(point.counts.reduce((a, b) => a + b, 0)),
            sum: point.sum,
            bucketCounts: point.counts.map(String),
            explicitBounds: [...metric.bounds],
          })),
        },
      };
    case "sum":
      return {
        ...head,
        sum: {
          aggregationTemporality: TEMPORALITY[metric.temporality],
          isMonotonic: true,
          dataPoints: metric.points.map((point) => ({
            attributes: attributes(point.attributes),
            ...(point.startMs === undefined ? {} : { startTimeUnixNano: nanos(point.startMs) }),
            timeUnixNano: nanos(point.atMs),
            ...number(point.value),
          })),
        },
      };
    case "gauge":
      return {
        ...head,
        gauge: {
          dataPoints: metric.points.map((point) => ({
            attributes: attributes(point.attributes),
            timeUnixNano: nanos(point.atMs),
            ...number(point.value),
          })),
        },
      };
  }
}

/** An ExportMetricsServiceRequest in OTLP/JSON. */
export function metricsBody(target: OtlpTarget, metrics: MetricData[]): unknown {
  return { resourceMetrics: [{ resource: resource(target), scopeMetrics: [{ scope, metrics: metrics.map(encode) }] }] };
}

/** Posts `metrics` (those with points); throws when the collector refuses or cannot be reached. */
export async function exportMetrics(target: OtlpTarget, metrics: MetricData[]): Promise<void> {
  const some = metrics.filter((metric) => metric.points.length > 0);
  if (some.length > 0) await postOtlp(target, "/v1/metrics", metricsBody(target, some));
}
