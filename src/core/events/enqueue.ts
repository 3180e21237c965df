/**
 * The producer side of the EVENTS queue: accepted event ids, in few small messages. The consumer
 * is a door (src/router/queue.ts) that routes them with ./route.ts.
 */
import type { EventsMessage } from "./schema.ts";

/** Ids per message: small messages (well under the 128 KB limit) that still carry many events. */
const IDS_PER_MESSAGE = 25;
/** Messages per `sendBatch` call (the Queues limit). */
const MESSAGES_PER_SEND = 100;

/** Puts event ids on the queue for routing. */
export async function enqueueEvents(queue: Queue<EventsMessage>, ids: string[]): Promise<void> {
  const messages: MessageSendRequest<EventsMessage>[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE)
    messages.push({ body: { eventIds: ids.slice(i, i + IDS_PER_MESSAGE) }, contentType: "json" });
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < messages.length; i += MESSAGES_PER_SEND)
    sends.push(queue.sendBatch(messages.slice(i, i + MESSAGES_PER_SEND)));
  await Promise.all(sends);
}
