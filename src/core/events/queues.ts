/**
 * The events queues. One queue takes about 5,000 messages/s, so a deployment may bind more:
 * `EVENTS`, then `EVENTS_1`, `EVENTS_2` … up to {@link MAX_EVENT_QUEUES} in all, each a producer
 * binding with a consumer on the same queue (the consumer is one handler for all of them: every
 * message names its shard). EventShard `n` sends to queue `n mod count`, so a shard's messages stay
 * on one queue and every queue carries some shards. docs/scale.md says when to add queues.
 */
import type { Env } from "../env.ts";
import { ConfigError } from "../lib/config-error.ts";
import type { EventsMessage } from "./schema.ts";

/** Queues one deployment may route through: `EVENTS` and `EVENTS_1` to `EVENTS_15`. */
export const MAX_EVENT_QUEUES = 16;

type QueueBindings = Pick<Env, "EVENTS"> & Partial<Record<`EVENTS_${number}`, unknown>>;

const found = new WeakMap<object, Queue<EventsMessage>[]>();

function isQueue(value: unknown): value is Queue<EventsMessage> {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { send?: unknown; sendBatch?: unknown };
  return typeof candidate.send === "function" && typeof candidate.sendBatch === "function";
}

/**
 * The events queues bound, in order. Extra queues numbered with a gap, or a binding of that name
 * that is not a queue, are a config error that names the binding.
 */
export function eventQueues(env: QueueBindings): Queue<EventsMessage>[] {
  const known = found.get(env);
  if (known) return known;
  const numbers = Object.keys(env)
    .flatMap((key) => /^EVENTS_(\d+)$/.exec(key)?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
  const queues = [env.EVENTS];
  for (const n of numbers) {
    const binding = env[`EVENTS_${n}`];
    if (!isQueue(binding)) throw new ConfigError(`EVENTS_${n} must be a queue producer binding`);
    if (n !== queues.length)
      throw new ConfigError(
        `EVENTS_${n} is bound but EVENTS_${queues.length} is not: number the extra events queues from 1, without gaps`,
      );
    if (n >= MAX_EVENT_QUEUES)
      throw new ConfigError(
        `at most ${MAX_EVENT_QUEUES} events queues may be bound: EVENTS and EVENTS_1 to EVENTS_${MAX_EVENT_QUEUES - 1}`,
      );
    queues.push(binding);
  }
  found.set(env, queues);
  return queues;
}

/** The queue that carries EventShard `shard`'s messages. */
export function queueOfShard(env: QueueBindings, shard: number): Queue<EventsMessage> {
  const queues = eventQueues(env);
  return queues[shard % queues.length] ?? env.EVENTS;
}
