/**
 * Events as clients send them: one event or an array, in the shape Inngest's event API takes, so
 * its clients work unchanged. Validated here, before anything is recorded.
 */
import { traceparentSchema } from "../../../sdk/trace-context.ts";
import { z } from "zod";
import { claimSchema, eventNameSchema, type RunEvent } from "../../../sdk/protocol.ts";
import { epochMsSchema, shallowEnough } from "../lib/json-shape.ts";
import { tagsSchema } from "../../../sdk/tags.ts";
import { toMs } from "../../../sdk/duration.ts";
import { MAX_RUN_DELAY_MS } from "../../../sdk/delay.ts";

/** Re-queues of an unrouted event by the sweeper before it leaves the event for a person to look at. */
export const MAX_SWEEPS = 20;

/** Most events one request may carry (as Inngest). */
const MAX_EVENTS_PER_REQUEST = 5_000;

/**
 * A UTF-16 surrogate with no partner. JSON can carry one, but it is not text: D1 (and anything
 * that encodes UTF-8) would store U+FFFD in its place, so the name matched later would not be the
 * name sent.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** An event as sent: only `name` is required; Stepwise assigns `id` and `ts` when absent. */
export const eventInputSchema = z
  .object({
    name: eventNameSchema.refine((name) => !LONE_SURROGATE.test(name), {
      error: "the name holds a lone UTF-16 surrogate (not valid Unicode text)",
    }),
    data: z
      .record(z.string(), z.unknown())
      .refine(shallowEnough.check, { error: `the data ${shallowEnough.error}` })
      .default({}),
    id: z
      .string()
      .min(1)
      .max(256)
      .refine((id) => !LONE_SURROGATE.test(id), {
        error: "the id holds a lone UTF-16 surrogate (not valid Unicode text)",
      })
      .optional(),
    ts: epochMsSchema.optional(),
    v: z.string().max(64).optional(),
    user: z
      .record(z.string(), z.unknown())
      .refine(shallowEnough.check, { error: `user ${shallowEnough.error}` })
      .optional(),
    /** Tags for the runs the event starts (up to 10). */
    tags: tagsSchema.optional(),
    /** The W3C trace context of the span that sent it (else the request's `traceparent` header). */
    traceparent: traceparentSchema.optional(),
    /** Delays the runs the event starts: recorded as a `ts` this far ahead (a duration, at most a year); not with `ts`. */
    delay: z.union([z.number().int().min(0), z.string().min(1).max(64)]).optional(),
  })
  .superRefine((event, ctx) => {
    if (event.delay === undefined) return;
    const issue = (message: string) => ctx.addIssue({ code: "custom", path: ["delay"], message });
    if (event.ts !== undefined) return issue("give `delay` or `ts`, not both");
    try {
      if (toMs(event.delay) > MAX_RUN_DELAY_MS) issue("an event's runs can be delayed at most a year");
    } catch (error) {
      issue(error instanceof Error ? error.message : String(error));
    }
  });
export type EventInput = z.input<typeof eventInputSchema>;

/** A request body: one event, or 1 to {@link MAX_EVENTS_PER_REQUEST} of them. */
export const eventBatchSchema = z.preprocess(
  (body) => (Array.isArray(body) ? body : [body]),
  z
    .array(eventInputSchema)
    .min(1, "send at least one event")
    .max(MAX_EVENTS_PER_REQUEST, `at most ${MAX_EVENTS_PER_REQUEST} events may be sent in one request`),
);

/** An event as Stepwise records it: every field present. */
export const storedEventSchema = z.object({
  id: z.string(),
  name: z.string(),
  data: z.record(z.string(), z.unknown()),
  ts: z.number().int(),
  v: z.string().optional(),
  user: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string()).optional(),
  traceparent: z.string().optional(),
  /** The data is kept in R2 (past the event size limit): `data` is {} as stored, until read back. */
  claim: claimSchema.optional(),
  receivedAt: z.number().int(),
  routedAt: z.number().int().optional(),
  /** Why routing it last failed (while unrouted). */
  routeError: z.string().optional(),
  /** The sweeper gave up re-queuing it after {@link MAX_SWEEPS} tries; it waits for a reroute. */
  routingAbandoned: z.boolean().optional(),
});
export type StoredEvent = z.infer<typeof storedEventSchema>;

/**
 * A stored event as a run sees it (its trigger, a waited-for event). An event whose data is kept
 * in R2 travels with its claim and empty data, unless `whole` (a WaitIndex matching it: it keeps
 * and hands on only the claim, see {@link slimEvent}).
 */
export const toRunEvent = (event: StoredEvent, { whole = false }: { whole?: boolean } = {}): RunEvent => ({
  id: event.id,
  name: event.name,
  data: event.claim && !whole ? {} : event.data,
  ts: event.ts,
  ...(event.user ? { user: event.user } : {}),
  ...(event.tags?.length ? { tags: event.tags } : {}),
  ...(event.claim ? { claim: event.claim } : {}),
  ...(event.traceparent ? { traceparent: event.traceparent } : {}),
});

/** `event` as it is kept and handed on: without its data when that is kept in R2 (its claim says where). */
export const slimEvent = <E extends { data: Record<string, unknown>; claim?: unknown }>(event: E): E =>
  event.claim ? { ...event, data: {} } : event;

/**
 * An event in a listing: its payload only when it is small (an EventShard leaves a large one out,
 * says its size, and the event itself is read for it).
 */
export const eventSummarySchema = storedEventSchema.omit({ data: true, user: true }).extend({
  data: storedEventSchema.shape.data.optional(),
  user: storedEventSchema.shape.user,
  /** Bytes of the data's JSON, whether or not it is carried. */
  dataBytes: z.number().int(),
  /** The payload was left out for its size: GET the event for it. */
  payloadOmitted: z.literal(true).optional(),
});
export type EventSummary = z.infer<typeof eventSummarySchema>;

/** Most event ids in one queue message (small next to the 128 KB message limit). */
export const MAX_IDS_PER_MESSAGE = 100;

/**
 * What goes on the EVENTS queue: ids of recorded events and the EventShard that holds them
 * (bodies stay in the shard, so messages are small). A message without a shard, from before
 * events were sharded, finds each event by its id.
 */
export const eventsMessageSchema = z.object({
  shard: z.number().int().min(0).optional(),
  eventIds: z.array(z.string()).min(1).max(MAX_IDS_PER_MESSAGE),
});
export type EventsMessage = z.infer<typeof eventsMessageSchema>;
