/**
 * The EVENTS queue: the producer side (accepted event ids, in few small messages) and the consumer
 * (load the events, route them). A batch that fails is retried by the queue; a message that is
 * not ours is dropped with a log line rather than retried forever.
 */
import { getEvents } from "../db/events.ts";
import type { Env } from "../env.ts";
import { eventsMessageSchema, type EventsMessage } from "../events/schema.ts";
import { routeEvents } from "./route.ts";

/** Ids per message: small messages (well under the 128 KB limit) that still carry many events. */
const IDS_PER_MESSAGE = 50;
/** Messages per `sendBatch` call (the Queues limit). */
const MESSAGES_PER_SEND = 100;

/** Puts event ids on the queue for routing. */
export async function enqueueEvents(queue: Queue<EventsMessage>, ids: string[]): Promise<void> {
  const messages: MessageSendRequest<EventsMessage>[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) messages.push({ body: { eventIds: ids.slice(i, i + IDS_PER_MESSAGE) }, contentType: "json" });
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < messages.length; i += MESSAGES_PER_SEND) sends.push(queue.sendBatch(messages.slice(i, i + MESSAGES_PER_SEND)));
  await Promise.all(sends);
}

/** The queue consumer: routes every event the batch names. */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const ids: string[] = [];
  for (const message of batch.messages) {
    const parsed = eventsMessageSchema.safeParse(message.body);
    if (parsed.success) ids.push(...parsed.data.eventIds);
    else console.error(`stepwise: dropped a malformed message ${message.id} from the events queue`, parsed.error.issues);
  }
  if (ids.length === 0) return;
  const events = await getEvents(env.DB, [...new Set(ids)]);
  if (events.length < new Set(ids).size) console.error(`stepwise: ${new Set(ids).size - events.length} queued event(s) are not in the events table`);
  await routeEvents(env, events);
}
