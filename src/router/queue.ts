/**
 * The consumer of the EVENTS queue: load the events, route them. A message that is not ours is
 * dropped with a log line rather than retried forever. The producer side is in the core
 * (src/core/events/enqueue.ts).
 */
import { markRouteFailed, readEvents } from "../core/db/events.ts";
import type { Env } from "../core/env.ts";
import { eventsMessageSchema } from "../core/events/schema.ts";
import { routeEvents } from "../core/events/route.ts";

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
      if (events.length + unreadable.length < ids.length)
        console.error(
          `stepwise: ${ids.length - events.length - unreadable.length} queued event(s) are not in the events table`,
        );
      await routeEvents(env, events);
      message.ack();
    } catch (error) {
      console.error(`stepwise: routing message ${message.id} failed; the queue retries it`, error);
      await markRouteFailed(
        env.DB,
        ids,
        error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      ).catch(() => undefined);
      message.retry();
    }
  }
}
