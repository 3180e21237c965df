/**
 * The consumer of the events queues (EVENTS and any EVENTS_n: each message names its shard, so
 * one handler serves them all): load each message's events from their EventShard, route them.
 * A message that is not ours is dropped with a log line rather than retried forever. The producer
 * side is in the core (src/core/events/enqueue.ts).
 */
import type { Env } from "../core/env.ts";
import { eventsMessageSchema } from "../core/events/schema.ts";
import { routeEvents } from "../core/events/route.ts";
import { eventShardCount, shardOfId } from "../core/events/shards.ts";
import { markRouteFailed, readShardEvents } from "../core/events/store.ts";
import { pool, type Pool } from "../core/lib/pool.ts";
import { groupBy } from "../core/lib/group.ts";

/**
 * Run starts in flight across one batch (up to 10 messages of 100 events, routed at once): enough
 * to keep routing busy, few enough for one invocation's connections and memory.
 */
const STARTS_IN_FLIGHT = 100;

/** Routes the events `ids` of one shard; unreadable ones are set aside with the reason. */
async function routeShard(env: Env, shard: number, ids: string[], calls: Pool): Promise<void> {
  try {
    const { events, unreadable, listening, catalog } = await readShardEvents(env, shard, ids);
    for (const bad of unreadable) await markRouteFailed(env, shard, [bad.id], bad.error, true);
    if (events.length + unreadable.length < ids.length)
      console.error(
        `stepwise: ${ids.length - events.length - unreadable.length} queued event(s) are not in shard ${shard}`,
      );
    await routeEvents(env, shard, events, { listening, catalog, calls });
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await markRouteFailed(env, shard, ids, reason).catch(() => undefined);
    throw error;
  }
}

/** A message's ids by shard: its own shard, or (a message from before sharding) each id's. */
function byShard(env: Env, shard: number | undefined, ids: string[]): Map<number, string[]> {
  if (shard !== undefined) return new Map([[shard, ids]]);
  const count = eventShardCount(env);
  return groupBy(ids, (id) => shardOfId(id, count));
}

/**
 * The queue consumer: routes the batch's messages concurrently, acknowledging each once its events
 * are routed. A message that fails is retried alone; progress made is kept.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const calls = pool(STARTS_IN_FLIGHT);
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = eventsMessageSchema.safeParse(message.body);
      if (!parsed.success) {
        console.error(`stepwise: dropped a malformed message ${message.id} from the events queue`, parsed.error.issues);
        message.ack();
        return;
      }
      try {
        const groups = byShard(env, parsed.data.shard, [...new Set(parsed.data.eventIds)]);
        await Promise.all([...groups].map(([shard, ids]) => routeShard(env, shard, ids, calls)));
        message.ack();
      } catch (error) {
        console.error(`stepwise: routing message ${message.id} failed; the queue retries it`, error);
        message.retry();
      }
    }),
  );
}
