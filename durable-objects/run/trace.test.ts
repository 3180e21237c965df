import { describe, expect, it } from "vitest";
import { tracesBody, logsBody } from "../../src/core/telemetry/otlp.ts";
import type { HistoryEntry } from "./history.ts";
import { history } from "./sample-history.test-support.ts";
import { runSpanIdOf, runTelemetry, traceIdOf, traceIdOfRun } from "./trace.ts";

describe("a run's history as spans and logs", () => {
  it("needs only the entries since the last export, the first entry, and sleep and wait starts", () => {
    // What Journal.readForTelemetry reads back after entry 5 (the sleep began at entry 5).
    const after = 5;
    const part = history.filter(
      (entry) =>
        entry.seq > after || entry.seq === 1 || entry.type === "step.sleeping" || entry.type === "step.waiting",
    );
    expect(part.length).toBeLessThan(history.length);
    expect(runTelemetry(part, after)).toEqual(runTelemetry(history, after));
    expect(runTelemetry(part, after).spans.map((span) => span.name)).toEqual(["sleep nap", "run f"]);
  });

  it("has a span per step attempt, one for the sleep and one for the run, in one trace", () => {
    const { spans, logs } = runTelemetry(history, 0);
    expect(spans.map((span) => span.name)).toEqual(["step fetch", "step fetch", "sleep nap", "run f"]);
    const traceId = traceIdOf("r1");
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([traceId]));
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const [failed, ok, sleep, run] = spans;
    expect(failed).toMatchObject({
      startMs: 1_100,
      endMs: 1_200,
      error: "Error: flaky",
      parentSpanId: runSpanIdOf("r1"),
    });
    expect(failed!.attributes).toMatchObject({
      "stepwise.run_id": "r1",
      "stepwise.step_id": "a",
      "stepwise.attempt": 0,
    });
    expect(ok!.spanId).not.toBe(failed!.spanId);
    expect(sleep).toMatchObject({ startMs: 3_200, endMs: 9_000 });
    expect(run).toMatchObject({ spanId: runSpanIdOf("r1"), startMs: 1_000, endMs: 9_100 });
    expect(run!.parentSpanId).toBeUndefined();
    expect(logs).toEqual([
      expect.objectContaining({ spanId: failed!.spanId, level: "warn", message: "slow upstream" }),
    ]);
  });

  it("names only what ended after the last export, with the same ids as before", () => {
    const first = runTelemetry(history.slice(0, 4), 0);
    const rest = runTelemetry(history, 4);
    expect(rest.spans.map((span) => span.name)).toEqual(["sleep nap", "run f"]);
    expect(runTelemetry(history, 0).spans.slice(0, 2)).toEqual(first.spans);
  });

  it("joins the trace its event's traceparent names, under that span (a sender's, or a parent run's)", () => {
    const traceparent = `00-${"ab".repeat(16)}-${"cd".repeat(8)}-01`;
    const sent: HistoryEntry[] = [
      { ...history[0]!, events: [{ id: "e", name: "n", data: {}, ts: 0, traceparent }] } as HistoryEntry,
      { type: "run.completed", output: null, seq: 2, at: 2_000 },
    ];
    expect(runTelemetry(sent, 0).spans[0]).toMatchObject({ traceId: "ab".repeat(16), parentSpanId: "cd".repeat(8) });
    expect(traceIdOfRun({ runId: "r1", events: [{ id: "e", name: "n", data: {}, ts: 0, traceparent }] })).toBe(
      "ab".repeat(16),
    );
  });

  it("puts a child run in its parent's trace, under the parent's run span", () => {
    const child: HistoryEntry[] = [
      {
        ...history[0]!,
        runId: "c1",
        parentRunId: "r1",
        events: [
          { id: "c1", name: "n", data: {}, ts: 0, traceparent: `00-${traceIdOf("r1")}-${runSpanIdOf("r1")}-01` },
        ],
      } as HistoryEntry,
      { type: "run.failed", error: { name: "Error", message: "boom" }, seq: 2, at: 2_000 },
    ];
    const [span] = runTelemetry(child, 0).spans;
    expect(span).toMatchObject({ traceId: traceIdOf("r1"), parentSpanId: runSpanIdOf("r1"), error: "Error: boom" });
  });

  it("encodes OTLP/JSON: hex ids, nanosecond strings, typed attributes, error status, severities", () => {
    const target = { endpoint: "http://x", headers: {}, serviceName: "svc" };
    const { spans, logs } = runTelemetry(history, 0);
    const traces = tracesBody(target, spans) as {
      resourceSpans: { resource: unknown; scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const [first] = traces.resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(traces.resourceSpans[0]!.resource).toEqual({
      attributes: [{ key: "service.name", value: { stringValue: "svc" } }],
    });
    expect(first).toMatchObject({
      startTimeUnixNano: "1100000000",
      endTimeUnixNano: "1200000000",
      status: { code: 2, message: "Error: flaky" },
    });
    expect(first!.attributes).toContainEqual({ key: "stepwise.attempt", value: { intValue: "0" } });
    const encoded = logsBody(target, logs) as {
      resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[];
    };
    expect(encoded.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]).toMatchObject({
      severityNumber: 13,
      severityText: "WARN",
      body: { stringValue: "slow upstream" },
    });
  });
});
