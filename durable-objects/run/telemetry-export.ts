/**
 * Exporting a run's spans and step logs (trace.ts) and its metrics (run-metrics.ts) to the
 * configured OTLP endpoint after each drive: what ended since the last export, so a long run's
 * steps show up as they end and the run span when the run ends. Off the step path: it runs after
 * the drive, and a failure only delays it (the next drive, or for an ended run the alarm, tries
 * again). Each kind keeps its own mark of the last entry exported (the object's KV storage), so a
 * retry after one kind failed does not send the other again. Delivery is at least once: an answer
 * lost after the collector took a request (a timeout, the object evicted) sends it again. After a failure
 * this isolate's runs leave the endpoint alone for {@link QUIET_AFTER_FAILURE_MS}, so a collector
 * that hangs or is down costs a drive at most one timeout per isolate per pause.
 */
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { exportMetrics } from "../../src/core/telemetry/otlp-metrics.ts";
import { exportTelemetry, otlpTarget, type OtlpTarget } from "../../src/core/telemetry/otlp.ts";
import { Journal } from "./journal.ts";
import { runMetrics } from "./run-metrics.ts";
import { runTelemetry } from "./trace.ts";

/** How long after a failed export this isolate's runs defer theirs. */
export const QUIET_AFTER_FAILURE_MS = 30_000;
let failedAt = Number.NEGATIVE_INFINITY;

const SPANS_MARK = "otel-exported-seq";
const METRICS_MARK = "otel-metrics-seq";

const markOf = (storage: DurableObjectStorage, key: string): number =>
  z
    .number()
    .int()
    .catch(0)
    .parse(storage.kv.get(key) ?? 0);

/**
 * Exports what ended since the last export: "nothing" with no endpoint or nothing new, "deferred"
 * while the endpoint failed lately (try again later). Throws when the export failed.
 */
export async function exportRunTelemetry(
  env: Env,
  storage: DurableObjectStorage,
  now = Date.now(),
): Promise<"exported" | "nothing" | "deferred"> {
  const target = otlpTarget(env);
  if (!target) return "nothing";
  if (now - failedAt < QUIET_AFTER_FAILURE_MS) return "deferred";
  try {
    return await exportSince(target, storage, now);
  } catch (error) {
    failedAt = now;
    throw error;
  }
}

async function exportSince(
  target: OtlpTarget,
  storage: DurableObjectStorage,
  now: number,
): Promise<"exported" | "nothing"> {
  const spansAfter = markOf(storage, SPANS_MARK);
  const metricsAfter = markOf(storage, METRICS_MARK);
  const history = new Journal(storage.sql).readForTelemetry(Math.min(spansAfter, metricsAfter));
  const last = history.at(-1)?.seq ?? 0;
  if (last <= spansAfter && last <= metricsAfter) return "nothing";
  // Each kind on its own: an endpoint refusing spans does not hold back the metrics.
  const failures: unknown[] = [];
  if (last > spansAfter) {
    const { spans, logs } = runTelemetry(history, spansAfter);
    await (spans.length + logs.length > 0 ? exportTelemetry(target, spans, logs) : Promise.resolve()).then(
      () => storage.kv.put(SPANS_MARK, last),
      (error: unknown) => void failures.push(error),
    );
  }
  if (last > metricsAfter)
    await exportMetrics(target, runMetrics(history, metricsAfter, now)).then(
      () => storage.kv.put(METRICS_MARK, last),
      (error: unknown) => void failures.push(error),
    );
  if (failures.length > 0) throw failures[0];
  return "exported";
}
