/**
 * OpenTelemetry export against a receiver on loopback: `npm run dev` with STEPWISE_OTLP_ENDPOINT
 * set runs analyze-document (its LLM step failing once), and what arrives is decoded as
 * OTLP/JSON: the run's spans in one trace with their step and attempt ids, the failed attempt an
 * error, and the step's log line tied to its attempt's span. The header carrying an API key
 * arrives too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, getJson, startDevServer, type DevServer } from "./dev-server.ts";
import { startReceiver, type Receiver } from "./receiver.ts";

type Attribute = { key: string; value: Record<string, unknown> };
type Span = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Attribute[];
  status: { code: number; message?: string };
  startTimeUnixNano: string;
  endTimeUnixNano: string;
};
type LogRecord = {
  traceId: string;
  spanId: string;
  severityText: string;
  body: { stringValue: string };
  attributes: Attribute[];
};

let stateDir: string;
let server: DevServer;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  stateDir = mkdtempSync(join(tmpdir(), "stepwise-otel-"));
  server = await startDevServer(stateDir, await freePort(), [
    "--var",
    `STEPWISE_OTLP_ENDPOINT:${receiver.url}`,
    "--var",
    "STEPWISE_OTLP_HEADERS:x-api-key=otel-secret",
    // GET /__scheduled runs the Worker's cron tick, which sends the deployment-wide metrics.
    "--test-scheduled",
  ]);
});

afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const attribute = (item: { attributes: Attribute[] }, key: string) => item.attributes.find((a) => a.key === key)?.value;
const spansOf = (runId: string): Span[] =>
  receiver.received
    .filter((r) => r.path === "/v1/traces")
    .flatMap((r) => (JSON.parse(r.text) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }).resourceSpans)
    .flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
    .filter((span) => attribute(span, "stepwise.run_id")?.stringValue === runId);
const logsOf = (runId: string): LogRecord[] =>
  receiver.received
    .filter((r) => r.path === "/v1/logs")
    .flatMap(
      (r) => (JSON.parse(r.text) as { resourceLogs: { scopeLogs: { logRecords: LogRecord[] }[] }[] }).resourceLogs,
    )
    .flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords))
    .filter((log) => attribute(log, "stepwise.run_id")?.stringValue === runId);

type DataPoint = { attributes: Attribute[]; asInt?: string; count?: string; sum?: number; bucketCounts?: string[] };
type Metric = {
  name: string;
  sum?: { aggregationTemporality: number; dataPoints: DataPoint[] };
  gauge?: { dataPoints: DataPoint[] };
  histogram?: { aggregationTemporality: number; dataPoints: DataPoint[] };
};
const metricsNamed = (name: string): Metric[] =>
  receiver.received
    .filter((r) => r.path === "/v1/metrics")
    .flatMap(
      (r) => (JSON.parse(r.text) as { resourceMetrics: { scopeMetrics: { metrics: Metric[] }[] }[] }).resourceMetrics,
    )
    .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
    .filter((metric) => metric.name === name);

describe("OpenTelemetry export", () => {
  it("sends a run's spans and step logs over OTLP/HTTP, decoded here", async () => {
    const sent = await fetch(`${server.url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "doc/uploaded", data: { documentId: "otel-1", text: "a b c", failLlmTimes: 1 } }),
    });
    const { ids } = (await sent.json()) as { ids: string[] };
    let runId = "";
    await expect
      .poll(
        async () => {
          const event = await getJson<{ runs: { id: string; status: string }[] }>(`${server.url}/v1/events/${ids[0]}`);
          runId = event.runs[0]?.id ?? "";
          return event.runs[0]?.status;
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe("completed");
    await expect
      .poll(() => spansOf(runId).some((span) => span.name === "run analyze-document"), { timeout: 30_000 })
      .toBe(true);

    const spans = spansOf(runId);
    expect(spans.map((span) => span.name).sort()).toEqual(
      ["run analyze-document", "step call-llm", "step call-llm", "step extract-text", "step save-result"].sort(),
    );
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    expect(spans[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    const run = spans.find((span) => span.name.startsWith("run "))!;
    expect(spans.filter((span) => span !== run).every((span) => span.parentSpanId === run.spanId)).toBe(true);
    const attempts = spans.filter((span) => span.name === "step call-llm");
    const failed = attempts.find((span) => span.status.code === 2)!;
    expect(failed.status.message).toContain("LLM unavailable");
    expect(attempts.map((span) => attribute(span, "stepwise.attempt")?.intValue).sort()).toEqual(["0", "1"]);
    expect(BigInt(run.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(run.startTimeUnixNano));

    const logs = logsOf(runId);
    expect(logs.map((log) => log.body.stringValue)).toEqual([
      expect.stringContaining("summarizing"),
      expect.stringContaining("summarizing"),
    ]);
    expect(new Set(logs.map((log) => log.spanId))).toEqual(new Set(attempts.map((span) => span.spanId)));
    expect(logs[0]!.severityText).toBe("INFO");
    expect(receiver.received.every((r) => r.headers["x-api-key"] === "otel-secret")).toBe(true);
    expect(JSON.parse(receiver.received[0]!.text)).toMatchObject({
      resourceSpans: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: "stepwise" } }] } }],
    });
  });

  it("sends metrics: each run's deltas as it goes, and the deployment's gauges on the cron tick", async () => {
    // The run of the first test has ended, so its metrics went out with its last export.
    await expect.poll(() => metricsNamed("stepwise.runs.ended").length, { timeout: 30_000 }).toBeGreaterThan(0);
    const ended = metricsNamed("stepwise.runs.ended").flatMap((metric) => metric.sum!.dataPoints);
    expect(ended.some((point) => attribute(point, "stepwise.status")?.stringValue === "completed")).toBe(true);
    expect(metricsNamed("stepwise.runs.ended")[0]!.sum!.aggregationTemporality).toBe(1);
    const steps = metricsNamed("stepwise.step.duration").flatMap((metric) => metric.histogram!.dataPoints);
    const outcomes = new Set(steps.map((point) => attribute(point, "stepwise.outcome")?.stringValue));
    // call-llm failed once and was retried.
    expect(outcomes).toEqual(new Set(["completed", "retrying"]));
    const attempts = steps.reduce((total, point) => total + Number(point.count), 0);
    expect(attempts).toBe(4);
    for (const point of steps)
      expect(point.bucketCounts!.reduce((total, n) => total + Number(n), 0)).toBe(Number(point.count));

    const tick = await fetch(`${server.url}/__scheduled?cron=*/10+*+*+*+*`);
    expect(tick.status).toBe(200);
    await expect.poll(() => metricsNamed("stepwise.events.accepted").length, { timeout: 30_000 }).toBeGreaterThan(0);
    const [accepted] = metricsNamed("stepwise.events.accepted");
    expect(accepted!.sum!.aggregationTemporality).toBe(2);
    expect(Number(accepted!.sum!.dataPoints[0]!.asInt)).toBeGreaterThanOrEqual(1);
    const waiting = metricsNamed("stepwise.runs.waiting").flatMap((metric) => metric.gauge!.dataPoints);
    expect(
      waiting.find(
        (point) =>
          attribute(point, "stepwise.function_id")?.stringValue === "analyze-document" &&
          attribute(point, "stepwise.state")?.stringValue === "queued",
      )?.asInt,
    ).toBe("0");
  });
});
