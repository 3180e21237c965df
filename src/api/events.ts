/**
 * `/v1/events`: send events (one or up to 5,000), list recent ones, see one with the runs it
 * started, and route again one whose routing was given up.
 */
import { eventEffects } from "../core/events/effects.ts";
import { Hono } from "hono";
import { z } from "zod";
import { getEvent, listEvents } from "../core/events/store.ts";
import { rerouteEvent } from "../core/events/reroute.ts";
import { listRuns } from "../core/run-index/read.ts";
import type { EventSummary, StoredEvent } from "../core/events/schema.ts";
import type { Env } from "../core/env.ts";
import { readQuery } from "./body.ts";
import { errorResponse } from "./errors.ts";
import { ingest } from "./ingest.ts";
import { nextCursor, pagingSchema } from "../core/db/paging.ts";
import { runSummary } from "../core/db/run-summary.ts";
import { downloadUrl } from "../core/payloads/download.ts";

const listQuerySchema = pagingSchema.extend({ name: z.string().min(1).max(256).optional() });

/** An event (or a listing's summary of one) as the API shows it: times as ISO dates. */
function eventView(event: StoredEvent | EventSummary): Record<string, unknown> {
  const { receivedAt, routedAt, ...rest } = event;
  return {
    ...rest,
    receivedAt: new Date(receivedAt).toISOString(),
    routedAt: routedAt === undefined ? null : new Date(routedAt).toISOString(),
  };
}

export const eventsApi = new Hono<{ Bindings: Env }>()
  .post("/", async (c) => {
    const result = await ingest(c);
    return result.ok ? c.json({ ids: result.ids }, 202) : result.response;
  })
  .get("/", async (c) => {
    const query = readQuery(c, listQuerySchema);
    if (!query.ok) return query.response;
    const page = await listEvents(c.env, query.value);
    return c.json({ events: page.items.map(eventView), ...nextCursor(page.next) });
  })
  .get("/:id", async (c) => {
    const id = c.req.param("id");
    const event = await getEvent(c.env, id);
    if (!event) return errorResponse(c, 404, "event_not_found", `No event "${id}"`);
    const [runs, effects] = await Promise.all([listRuns(c.env, { eventId: id, limit: 200 }), eventEffects(c.env, id)]);
    // Data kept in R2 is linked, not inlined: a signed link good for an hour.
    const dataUrl = event.claim ? { dataUrl: await downloadUrl(c.env, event.claim.key, Date.now()) } : {};
    return c.json({
      event: { ...eventView(event), ...dataUrl },
      runs: runs.items.map(runSummary),
      // The runs whose waits it resumed, or that its `cancelOn` cancelled (at most 200).
      affected: effects.map((effect) => ({ ...effect, at: new Date(effect.at).toISOString() })),
    });
  })
  .post("/:id/reroute", async (c) => {
    const id = c.req.param("id");
    const result = await rerouteEvent(c.env, id);
    if (result === "not_found") return errorResponse(c, 404, "event_not_found", `No event "${id}"`);
    if (result === "already_routed")
      return errorResponse(c, 409, "already_routed", `Event "${id}" has been routed; its runs started`);
    return c.json({ id, requeued: true }, 202);
  });
