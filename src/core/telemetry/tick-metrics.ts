/**
 * The deployment-wide metrics sent over OTLP on the Worker's cron tick (runs send their own as
 * they happen: durable-objects/run/run-metrics.ts): events accepted (a cumulative count), events
 * waiting to be routed and given up on, the runs waiting per function (queued, paused), and the
 * functions paused. Read like the Prometheus endpoint's (metrics.ts).
 */
import type { Env } from "../env.ts";
import { exportMetrics, type MetricData } from "./otlp-metrics.ts";
import { otlpTarget } from "./otlp.ts";
import { readFigures, waitingOf } from "./metrics.ts";

type GaugePoint = Extract<MetricData, { kind: "gauge" }>["points"][number];

/** The tick's metrics at `now`. */
export async function tickMetrics(env: Env, now = Date.now()): Promise<MetricData[]> {
  const { events, runs, functions } = await readFigures(env, now);
  const gauge = (name: string, unit: string, description: string, points: GaugePoint[]): MetricData => ({
    kind: "gauge",
    name,
    unit,
    description,
    points,
  });
  return [
    {
      kind: "sum",
      name: "stepwise.events.accepted",
      unit: "{event}",
      description: "Events accepted (new ids), ever.",
      temporality: "cumulative",
      points: [{ attributes: {}, atMs: now, value: events.accepted }],
    },
    gauge("stepwise.events.unrouted", "{event}", "Events accepted and not routed yet.", [
      { attributes: {}, atMs: now, value: events.unrouted },
    ]),
    gauge("stepwise.events.routing_abandoned", "{event}", "Events whose routing was given up, waiting for a reroute.", [
      { attributes: {}, atMs: now, value: events.abandoned },
    ]),
    gauge(
      "stepwise.runs.waiting",
      "{run}",
      "Runs waiting now: queued for a concurrency slot, a throttle or a rate limit, or held while their function is paused.",
      [...runs].flatMap(([fn, answers]) =>
        Object.entries(waitingOf(answers)).map(([state, value]) => ({
          attributes: { "stepwise.function_id": fn, "stepwise.state": state },
          atMs: now,
          value,
        })),
      ),
    ),
    gauge(
      "stepwise.function.paused",
      "1",
      "1 for a function an operator paused or is draining (mode attribute).",
      functions.flatMap((fn) =>
        fn.control
          ? [{ attributes: { "stepwise.function_id": fn.id, "stepwise.mode": fn.control.mode }, atMs: now, value: 1 }]
          : [],
      ),
    ),
  ];
}

/** Sends the tick's metrics when an OTLP endpoint is configured; false when none is. */
export async function exportTickMetrics(env: Env, now = Date.now()): Promise<boolean> {
  const target = otlpTarget(env);
  if (!target) return false;
  await exportMetrics(target, await tickMetrics(env, now));
  return true;
}
