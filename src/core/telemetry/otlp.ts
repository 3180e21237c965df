/**
 * OpenTelemetry export over OTLP/HTTP with JSON bodies (the encoding every collector and vendor
 * endpoint takes beside protobuf): spans to `<endpoint>/v1/traces`, log records to
 * `<endpoint>/v1/logs` (metrics to `<endpoint>/v1/metrics`: otlp-metrics.ts). Configured by STEPWISE_OTLP_ENDPOINT (unset: nothing is exported),
 * STEPWISE_OTLP_HEADERS (`name=value` pairs, comma-separated: an API key) and
 * STEPWISE_OTLP_SERVICE_NAME ("stepwise"). Written by hand rather than with the OpenTelemetry SDK:
 * the engine already knows each span's start and end from its history, so what is needed is the
 * wire format, not a tracer.
 */
import type { Env } from "../env.ts";

/** One finished span. Ids are lowercase hex (trace 32 digits, span 16), as OTLP/JSON wants. */
export interface SpanData {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, string | number | boolean>;
  /** An error span: its message. */
  error?: string;
}

/** One log record, tied to the span it was written in. */
export interface LogData {
  traceId: string;
  spanId: string;
  atMs: number;
  level: "debug" | "info" | "warn" | "error";
  message: string;
  attributes: Record<string, string | number | boolean>;
}

/** Where telemetry goes; undefined when STEPWISE_OTLP_ENDPOINT is unset. */
export interface OtlpTarget {
  endpoint: string;
  headers: Record<string, string>;
  serviceName: string;
}

/** Spans or log records per request: a long run's history goes out in several. */
export const OTLP_BATCH = 1_000;

/** The configured target, or undefined. A malformed endpoint or header list throws, naming the setting. */
export function otlpTarget(env: Env): OtlpTarget | undefined {
  const endpoint = env.STEPWISE_OTLP_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  if (!/^https?:\/\/[^/]/.test(endpoint))
    throw new Error(`STEPWISE_OTLP_ENDPOINT must be an http(s) URL (like https://otel.example.com:4318)`);
  const headers: Record<string, string> = {};
  for (const pair of (env.STEPWISE_OTLP_HEADERS ?? "").split(",")) {
    if (pair.trim() === "") continue;
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`STEPWISE_OTLP_HEADERS must be name=value pairs, comma-separated`);
    headers[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return {
    endpoint: endpoint.replace(/\/+$/, ""),
    headers,
    serviceName: env.STEPWISE_OTLP_SERVICE_NAME?.trim() || "stepwise",
  };
}

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
const anyValue = (value: string | number | boolean): AnyValue =>
  typeof value === "string"
    ? { stringValue: value }
    : typeof value === "boolean"
      ? { boolValue: value }
      : Number.isInteger(value)
        ? { intValue: String(value) }
        : { doubleValue: value };
export const attributes = (values: Record<string, string | number | boolean>) =>
  Object.entries(values).map(([key, value]) => ({ key, value: anyValue(value) }));
export const nanos = (ms: number): string => `${BigInt(Math.round(ms)) * 1_000_000n}`;
export const resource = (target: OtlpTarget) => ({ attributes: attributes({ "service.name": target.serviceName }) });
export const scope = { name: "stepwise" };

/** OTLP status codes and severity numbers. */
const STATUS_ERROR = 2;
const STATUS_OK = 1;
const SEVERITY = { debug: 5, info: 9, warn: 13, error: 17 } as const;
/** SPAN_KIND_INTERNAL. */
const KIND_INTERNAL = 1;

/** An ExportTraceServiceRequest in OTLP/JSON. */
export function tracesBody(target: OtlpTarget, spans: SpanData[]): unknown {
  return {
    resourceSpans: [
      {
        resource: resource(target),
        scopeSpans: [
          {
            scope,
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              name: span.name,
              kind: KIND_INTERNAL,
              startTimeUnixNano: nanos(span.startMs),
              endTimeUnixNano: nanos(Math.max(span.startMs, span.endMs)),
              attributes: attributes(span.attributes),
              status: span.error !== undefined ? { code: STATUS_ERROR, message: span.error } : { code: STATUS_OK },
            })),
          },
        ],
      },
    ],
  };
}

/** An ExportLogsServiceRequest in OTLP/JSON. */
export function logsBody(target: OtlpTarget, logs: LogData[]): unknown {
  return {
    resourceLogs: [
      {
        resource: resource(target),
        scopeLogs: [
          {
            scope,
            logRecords: logs.map((log) => ({
              timeUnixNano: nanos(log.atMs),
              observedTimeUnixNano: nanos(log.atMs),
              severityNumber: SEVERITY[log.level],
              severityText: log.level.toUpperCase(),
              body: { stringValue: log.message },
              attributes: attributes(log.attributes),
              traceId: log.traceId,
              spanId: log.spanId,
            })),
          },
        ],
      },
    ],
  };
}

/** How long the collector has to answer one request. */
export const OTLP_TIMEOUT_MS = 5_000;

/** Posts one OTLP/JSON request to `<endpoint><path>`; throws when the collector refuses, cannot be reached or is too slow. */
export async function postOtlp(target: OtlpTarget, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${target.endpoint}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...target.headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(OTLP_TIMEOUT_MS),
  });
  if (!response.ok)
    throw new Error(
      `the OTLP endpoint answered ${response.status} to ${path}: ${(await response.text()).slice(0, 300)}`,
    );
  await response.body?.cancel();
}

/** Posts spans and logs, {@link OTLP_BATCH} at a time; throws when the collector refuses or cannot be reached. */
export async function exportTelemetry(target: OtlpTarget, spans: SpanData[], logs: LogData[]): Promise<void> {
  for (let at = 0; at < spans.length; at += OTLP_BATCH)
    await postOtlp(target, "/v1/traces", tracesBody(target, spans.slice(at, at + OTLP_BATCH)));
  for (let at = 0; at < logs.length; at += OTLP_BATCH)
    await postOtlp(target, "/v1/logs", logsBody(target, logs.slice(at, at + OTLP_BATCH)));
}
