/**
 * Exporting a run's spans and step logs (trace.ts) to the configured OTLP endpoint after each
 * drive: what ended since the last export, so a long run's steps show up as they end and the run
 * span when the run ends. Off the step path: it runs after the drive, and a failure only delays
 * it (the next drive, or for an ended run the alarm, tries again). The last exported entry is
 * kept in the object's KV storage.
 */
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { exportTelemetry, otlpTarget } from "../../src/core/telemetry/otlp.ts";
import { Journal } from "./journal.ts";
import { runTelemetry } from "./trace.ts";

const MARK = "otel-exported-seq";

/** Exports what ended since the last export; false when there is no endpoint or nothing new. Throws when the export failed. */
export async function exportRunTelemetry(env: Env, storage: DurableObjectStorage): Promise<boolean> {
  const target = otlpTarget(env);
  if (!target) return false;
  const after = z
    .number()
    .int()
    .catch(0)
    .parse(storage.kv.get(MARK) ?? 0);
  const history = new Journal(storage.sql).readAll();
  const last = history.at(-1)?.seq ?? 0;
  if (last <= after) return false;
  const { spans, logs } = runTelemetry(history, after);
  if (spans.length + logs.length > 0) await exportTelemetry(target, spans, logs);
  storage.kv.put(MARK, last);
  return true;
}
