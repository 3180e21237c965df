/**
 * A run's history as OpenTelemetry spans and log records (core/telemetry/otlp.ts sends them): a
 * span for the run, one per step attempt, one per sleep and per wait, each with the run, step and
 * attempt ids; each step log line as a record of its attempt's span. A run joins the trace its
 * event's `traceparent` names (the sender's; a child run's names its parent run), under that span;
 * otherwise it makes its own. Span ids are derived from the run, so exporting the same history
 * again names the same spans. Pure: the RunObject reads the history and sends the result.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { StepLogLine } from "../../sdk/step-logs.ts";
import type { LogData, SpanData } from "../../src/core/telemetry/otlp.ts";
import type { HistoryEntry } from "./history.ts";
import type { RunEvent } from "../../sdk/protocol.ts";
import { parseTraceparent, traceparentOf } from "../../sdk/trace-context.ts";

const digest = (...parts: string[]): string => bytesToHex(sha256(new TextEncoder().encode(JSON.stringify(parts))));
/** The trace a run makes when nothing names one (derived from its id). */
export const traceIdOf = (runId: string): string => digest("trace", runId).slice(0, 32);

/** Where a run's spans go: the trace its event's traceparent names (a sender's, or the parent run's), else its own. */
function traceOf(runId: string, events: RunEvent[]): { traceId: string; parentSpanId?: string } {
  const context = parseTraceparent(events[0]?.traceparent);
  return context ? { traceId: context.traceId, parentSpanId: context.spanId } : { traceId: traceIdOf(runId) };
}

/** The trace of run `state` (its children join it). */
export const traceIdOfRun = (state: { runId: string; events: RunEvent[] }): string =>
  traceOf(state.runId, state.events).traceId;
const spanIdOf = (...parts: string[]): string => digest("span", ...parts).slice(0, 16);
/** The span of the run itself. */
export const runSpanIdOf = (runId: string): string => spanIdOf(runId);

/** Runs whose traceparent this isolate worked out lately (it is asked for on every step call). */
const traceparents = new Map<string, string>();

/**
 * The run's own span as a W3C traceparent: what its code, its remote app and its children are
 * handed. Two digests, so each isolate keeps the last 1,000 (a run's never changes).
 */
export function runTraceparent(state: { runId: string; events: RunEvent[] }): string {
  const key = `${state.runId}\n${state.events[0]?.traceparent ?? ""}`;
  let found = traceparents.get(key);
  if (found === undefined) {
    found = traceparentOf(traceIdOfRun(state), runSpanIdOf(state.runId));
    traceparents.set(key, found);
    if (traceparents.size > 1_000) traceparents.delete(traceparents.keys().next().value!);
  }
  return found;
}

/** What became spans and logs after entry `afterSeq`: a span counts once it has ended. */
export interface RunTelemetry {
  spans: SpanData[];
  logs: LogData[];
}

const ENDS = new Set(["run.completed", "run.failed", "run.cancelled", "run.skipped"]);

/** The spans and log records of `history` that ended after entry `afterSeq`. */
export function runTelemetry(history: HistoryEntry[], afterSeq: number): RunTelemetry {
  const [created] = history;
  if (!created || created.type !== "run.created") return { spans: [], logs: [] };
  const { runId, functionId } = created;
  const { traceId, parentSpanId } = traceOf(runId, created.events);
  const runSpanId = runSpanIdOf(runId);
  const base = { "stepwise.run_id": runId, "stepwise.function_id": functionId };
  const spans: SpanData[] = [];
  const logs: LogData[] = [];
  const opened = new Map<string, number>();
  const fresh = (entry: HistoryEntry) => entry.seq > afterSeq;
  const addLogs = (spanId: string, lines: StepLogLine[] | undefined, stepId: string) => {
    for (const line of lines ?? [])
      logs.push({
        traceId,
        spanId,
        atMs: line.at,
        level: line.level,
        message: line.message,
        attributes: { ...base, "stepwise.step_id": stepId },
      });
  };
  for (const entry of history) {
    switch (entry.type) {
      case "step.sleeping":
      case "step.waiting":
        opened.set(`${entry.type}:${entry.stepId}`, entry.at);
        break;
      case "step.woken": {
        const start = opened.get(`step.sleeping:${entry.stepId}`);
        if (start !== undefined && fresh(entry))
          spans.push(
            child(`sleep ${entry.name}`, ["sleep", entry.stepId], start, entry.at, {
              "stepwise.step_id": entry.stepId,
              "stepwise.woken_early": entry.early,
            }),
          );
        break;
      }
      case "step.completed":
      case "step.retrying":
      case "step.failed": {
        if (entry.type === "step.completed" && entry.replayedFrom) break;
        const waitStart = opened.get(`step.waiting:${entry.stepId}`);
        if (entry.type === "step.completed" && waitStart !== undefined) {
          if (fresh(entry))
            spans.push(
              child(`wait ${entry.name}`, ["wait", entry.stepId], waitStart, entry.at, {
                "stepwise.step_id": entry.stepId,
                "stepwise.timed_out": entry.timedOut === true,
              }),
            );
          break;
        }
        if (entry.startedAt === undefined || !fresh(entry)) break;
        const spanId = spanIdOf(runId, entry.stepId, String(entry.attempt));
        spans.push({
          ...child(`step ${entry.name}`, [], entry.startedAt, entry.at, {
            "stepwise.step_id": entry.stepId,
            "stepwise.attempt": entry.attempt,
            ...(entry.type === "step.retrying" ? { "stepwise.retry_at": new Date(entry.retryAt).toISOString() } : {}),
          }),
          spanId,
          ...(entry.type !== "step.completed" ? { error: `${entry.error.name}: ${entry.error.message}` } : {}),
        });
        addLogs(spanId, entry.logs, entry.stepId);
        break;
      }
      default:
        if (ENDS.has(entry.type) && fresh(entry))
          spans.push({
            traceId,
            spanId: runSpanId,
            ...(parentSpanId ? { parentSpanId } : {}),
            name: `run ${functionId}`,
            startMs: created.at,
            endMs: entry.at,
            attributes: { ...base, "stepwise.status": entry.type.slice(4) },
            ...(entry.type === "run.failed" ? { error: `${entry.error.name}: ${entry.error.message}` } : {}),
          });
    }
  }
  return { spans, logs };

  function child(
    name: string,
    idParts: string[],
    startMs: number,
    endMs: number,
    extra: SpanData["attributes"],
  ): SpanData {
    return {
      traceId,
      spanId: spanIdOf(runId, ...idParts),
      parentSpanId: runSpanId,
      name,
      startMs,
      endMs,
      attributes: { ...base, ...extra },
    };
  }
}
