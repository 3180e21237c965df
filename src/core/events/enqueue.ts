/**
 * The producer side of the events queues: accepted event ids of one shard, in few small messages,
 * on that shard's queue (./queues.ts). The consumer is a door (src/router/queue.ts) that routes
 * them with ./route.ts.
 */
import type { Env } from "../env.ts";
import { queueOfShard } from "./queues.ts";
import { MAX_IDS_PER_MESSAGE, type EventsMessage } from "./schema.ts";

/** Messages per `sendBatch` call (the Queues limit). */
const MESSAGES_PER_SEND = 100;

/** Puts the ids of events held by EventShard `shard` on its queue for routing. */
export async function enqueueEvents(
  env: Parameters<typeof queueOfShard>[0],
  shard: number,
  ids: string[],
): Promise<void> {
  const queue = queueOfShard(env, shard);
  const messages: MessageSendRequest<EventsMessage>[] = [];
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_MESSAGE)
    messages.push({ body: { shard, eventIds: ids.slice(i, i + MAX_IDS_PER_MESSAGE) }, contentType: "json" });
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < messages.length; i += MESSAGES_PER_SEND)
    sends.push(queue.sendBatch(messages.slice(i, i + MESSAGES_PER_SEND)));
  await Promise.all(sends);
}
