/**
 * Sending events from anywhere with one `send()`: through a service binding to Stepwise (inside a
 * Worker, over Workers RPC) or over HTTPS to `POST /v1/events` (anywhere else).
 */
import { z } from "zod";
import { StepwiseError } from "./errors.ts";
import { callBinding } from "./refusal.ts";

/** An event to send: only `name` is required; Stepwise assigns `id` and `ts` when absent. */
export interface SendableEvent {
  name: string;
  data?: Record<string, unknown>;
  id?: string;
  ts?: number;
  user?: Record<string, unknown>;
}

/** The part of the Stepwise service binding that `send()` (and `serve()`'s sync) use. */
export interface EventsBinding {
  send(events: SendableEvent | SendableEvent[]): Promise<{ ids: string[] }>;
  /** Registers the app reachable at `target` (see serve()). */
  syncApp?(target: { binding: string } | { url: string }): Promise<unknown>;
}

/** Where events go: a binding, or a base URL with an event key. */
export type EventTarget =
  | { binding: EventsBinding }
  | { baseUrl: string; eventKey?: string | undefined; fetch?: typeof fetch | undefined };

/** Stepwise refused the events (the status and the API's error code say why) or could not be reached. */
export class SendEventsError extends StepwiseError {
  override name = "SendEventsError";
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    readonly issues: unknown[] = [],
  ) {
    super(message);
  }
}

const acceptedSchema = z.object({ ids: z.array(z.string()) });
const refusedSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.unknown()).optional() }) });

/** Sends events to `target`; resolves with their ids once Stepwise has accepted them. */
export async function sendEvents(target: EventTarget, events: SendableEvent | SendableEvent[]): Promise<{ ids: string[] }> {
  if ("binding" in target) {
    const binding = target.binding;
    try {
      return await callBinding(() => binding.send(events), (message, refusal) => new SendEventsError(message, refusal.status, refusal.code));
    } catch (cause) {
      if (cause instanceof SendEventsError) throw cause;
      throw new SendEventsError(`Could not reach Stepwise over its binding: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
  }
  const doFetch = target.fetch ?? fetch;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.eventKey) headers.authorization = `Bearer ${target.eventKey}`;
  let response: Response;
  try {
    response = await doFetch(new URL("/v1/events", target.baseUrl).toString(), { method: "POST", headers, body: JSON.stringify(events) });
  } catch (cause) {
    throw new SendEventsError(`Could not reach Stepwise at ${target.baseUrl}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const accepted = acceptedSchema.safeParse(body);
    if (accepted.success) return accepted.data;
    throw new SendEventsError(`Stepwise answered ${response.status} without event ids`, response.status);
  }
  const refused = refusedSchema.safeParse(body);
  if (refused.success) {
    const { code, message, issues } = refused.data.error;
    throw new SendEventsError(message, response.status, code, issues ?? []);
  }
  throw new SendEventsError(`Stepwise answered ${response.status}`, response.status);
}
