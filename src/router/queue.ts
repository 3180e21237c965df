/**
 * The EVENTS queue: the producer side (accepted event ids, in few small messages) and the consumer
 * (load the events, route them). A message that is not ours is dropped with a log line rather
 * than retried forever.
 */
import { markRouteFailed, readEvents } from "../core/db/events.ts";
import type { Env } from "../core/env.ts";
import { eventsMessageSchema, type EventsMessage } from "../core/events/schema.ts";
import { routeEvents } from "./route.ts";

/** Ids per message: small messages (well under the 128 KB limit) that still carry many events. */
const IDS_PER_MESSAGE = 25;
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

/**
 * The queue consumer: routes each message's events, one message after another, acknowledging each
 * once its events are routed. A message that fails is retried alone; progress made is kept.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const parsed = eventsMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      console.error(`stepwise: dropped a malformed message ${message.id} from the events queue`, parsed.error.issues);
      message.ack();
      continue;
    }
    const ids = [...new Set(parsed.data.eventIds)];
    try {
      const { events, unreadable } = await readEvents(env.DB, ids);
      for (const bad of unreadable) await markRouteFailed(env.DB, [bad.id], bad.error, true);
      if (events.length + unreadable.length < ids.length) console.error(`stepwise: ${ids.length - events.length - unreadable.length} queued event(s) are not in the events table`);
      await routeEvents(env, events);
      message.ack();
    } catch (error) {
      console.error(`stepwise: routing message ${message.id} failed; the queue retries it`, error);
      await markRouteFailed(env.DB, ids, error instanceof Error ? `${error.name}: ${error.message}` : String(error)).catch(() => undefined);
      message.retry();
    }
  }
}
