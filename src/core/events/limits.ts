/**
 * Limits on what clients send, stated in the README. The event size limit is configurable with
 * the `STEPWISE_MAX_EVENT_BYTES` variable.
 */
import { MAX_EVENT_BYTES } from "../limits.ts";
import type { Env } from "../env.ts";
import { formatBytes, jsonBytes } from "../lib/json-size.ts";

/** Largest request body the event and invoke endpoints read. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** Largest event (its JSON: name, data, id, ts, user) this Worker accepts. */
export function maxEventBytes(env: Env): number {
  const configured = Number(env.STEPWISE_MAX_EVENT_BYTES);
  return Number.isInteger(configured) && configured > 0 ? configured : MAX_EVENT_BYTES;
}

/** Why data for a direct invocation is too large, or undefined when it fits. */
export function oversizedData(data: Record<string, unknown>, limit: number): string | undefined {
  const bytes = jsonBytes(data);
  return bytes > limit ? `Event data is ${formatBytes(bytes)}; the limit is ${formatBytes(limit)}` : undefined;
}

/**
 * Why a batch cannot be accepted because of an event's size, or undefined when all fit. With the
 * PAYLOADS bucket an event's data past the event limit is kept in R2 (payloads/event-data.ts), so
 * an event may reach the request body limit, as long as it is within the event limit without it.
 */
export function oversizedEvent(events: { name: string; data?: unknown }[], env: Env): string | undefined {
  const limit = maxEventBytes(env);
  const refuse = (index: number, name: string, what: string, bytes: number, max: number) =>
    `Event ${index} ("${name}")${what} is ${formatBytes(bytes)}; the limit is ${formatBytes(max)}. Nothing in this request was accepted`;
  for (const [index, event] of events.entries()) {
    const bytes = jsonBytes(event);
    if (bytes <= limit) continue;
    if (!env.PAYLOADS) return refuse(index, event.name, "", bytes, limit);
    if (bytes > MAX_REQUEST_BYTES)
      return refuse(index, event.name, " (its data past the event limit kept in R2)", bytes, MAX_REQUEST_BYTES);
    const rest = jsonBytes({ ...event, data: {} });
    if (rest > limit) return refuse(index, event.name, " without its data", rest, limit);
  }
  return undefined;
}
