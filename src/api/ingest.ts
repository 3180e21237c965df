/**
 * Ingestion shared by `POST /v1/events` and the Inngest-compatible `POST /e/:eventKey`: validate
 * the whole request, check every event's size, and only then accept all of it, so a request is
 * either accepted whole or refused whole.
 */
import { parseTraceparent } from "../../sdk/trace-context.ts";
import type { Context } from "hono";
import { acceptEvents, type AcceptOptions } from "../core/events/accept.ts";
import { oversizedEvent } from "../core/events/limits.ts";
import { eventBatchSchema } from "../core/events/schema.ts";
import type { Env } from "../core/env.ts";
import { readBody } from "./body.ts";
import { errorResponse } from "./errors.ts";

/** The accepted ids, or the error response to send. */
export type IngestResult = { ok: true; ids: string[] } | { ok: false; response: Response };

/**
 * Reads, checks and accepts the events in the request body. `idsFor` names the events sent
 * without an id (the Inngest SDK's seeded ids), so a retried request records nothing twice.
 */
export async function ingest(
  c: Context<{ Bindings: Env }>,
  idsFor?: (count: number) => string[] | undefined,
): Promise<IngestResult> {
  const body = await readBody(c, eventBatchSchema);
  if (!body.ok) return body;
  const tooLarge = oversizedEvent(body.value, c.env);
  if (tooLarge) return { ok: false, response: errorResponse(c, 413, "event_too_large", tooLarge) };
  const ids = idsFor?.(body.value.length);
  // The request's own trace context (an instrumented client sends one) goes to events without theirs.
  const header = c.req.header("traceparent")?.trim().toLowerCase();
  const traceparent = header && parseTraceparent(header) ? header : undefined;
  const events = body.value.map((event, index) => ({
    ...event,
    ...(ids ? { id: event.id ?? ids[index] } : {}),
    ...(traceparent && !event.traceparent ? { traceparent } : {}),
  }));
  return { ok: true, ids: await acceptEvents(c.env, events, waitUntilOf(c)) };
}

/** The request's `waitUntil`, so routing goes on after the answer; none when served without one. */
function waitUntilOf(c: Context<{ Bindings: Env }>): AcceptOptions {
  let ctx: ExecutionContext;
  try {
    ctx = c.executionCtx;
  } catch {
    return {}; // app.request() in a test gives no context: accepting then waits for routing
  }
  return { waitUntil: (routing) => ctx.waitUntil(routing) };
}
