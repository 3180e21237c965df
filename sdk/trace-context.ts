/**
 * W3C trace context (`traceparent`): an event may carry the span that sent it, so its runs' spans
 * join the sender's trace, and an invoked child run carries its parent run's. Version 00 only.
 */
import { z } from "zod";

/** `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`, not all-zero ids. */
export const traceparentSchema = z.string().regex(/^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/, {
  error: "a W3C traceparent: 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>",
});

/** The trace and parent span a traceparent names. */
export function parseTraceparent(value: string | undefined): { traceId: string; spanId: string } | undefined {
  if (value === undefined || !traceparentSchema.safeParse(value).success) return undefined;
  const [, traceId = "", spanId = ""] = value.split("-");
  return { traceId, spanId };
}

/** The traceparent of span `spanId` in trace `traceId` (sampled). */
export const traceparentOf = (traceId: string, spanId: string): string => `00-${traceId}-${spanId}-01`;
