/**
 * What crosses the RPC boundary to and from an EventShard: the events to record, a listing's page
 * request and its rows. Each side parses with these schemas.
 */
import { z } from "zod";
import { eventSummarySchema, storedEventSchema } from "./schema.ts";

/** An event ready to record: id and ts assigned. */
export const newEventSchema = storedEventSchema.omit({
  receivedAt: true,
  routedAt: true,
  routeError: true,
  routingAbandoned: true,
});
export type NewEvent = z.infer<typeof newEventSchema>;

/** One shard's part of a newest-first listing. */
export const pageRequestSchema = z.object({
  name: z.string().optional(),
  cursor: z.object({ at: z.number().int(), id: z.string() }).optional(),
  limit: z.number().int().min(1).max(1_000),
});
export type PageRequest = z.infer<typeof pageRequestSchema>;

/** A row of a shard's page: its key, and the event unless its row no longer reads back. */
export const eventPageRowSchema = z.object({
  at: z.number().int(),
  id: z.string(),
  event: eventSummarySchema.nullable(),
});
export type EventPageRow = z.infer<typeof eventPageRowSchema>;
