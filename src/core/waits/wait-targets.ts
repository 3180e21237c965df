/**
 * Which WaitIndex a waiter lives in. A waiter whose condition pins the incoming event to one value
 * ({@link waitKey}) lives in a keyed shard of its event name: one of {@link WAIT_SLOTS} per (name,
 * path), chosen by a hash of the value, so one popular name spreads over many objects and an
 * arriving event goes only to the shards of its own values. A waiter with no key lives in the
 * name's home index (the object named by the event name alone), as every waiter did before.
 *
 * Each index that holds waiters listens for itself: the EventShards keep a row per listening
 * index (durable-objects/events/listened.ts), with, for a keyed shard, its event name, path and
 * slot, and they answer a record or a read with the home names and keyed shards listening to the
 * events' names. The router sends a keyed shard only the events whose value at its path hashes to
 * its slot ({@link keyedDeliveries}), which are all the events its waiters could take.
 */
import { z } from "zod";
import type { RunEvent } from "../../../sdk/protocol.ts";
import { fnv1a } from "../lib/hash.ts";
import { eventKey, waitKey } from "./wait-key.ts";

/** Keyed shards per (event name, path). */
export const WAIT_SLOTS = 16;

/** A keyed shard of an event name's waits. */
export const keyedListenerSchema = z.object({
  event: z.string(),
  path: z.string(),
  slot: z.number().int().min(0),
});
export type KeyedListener = z.infer<typeof keyedListenerSchema>;

/**
 * The object name of a keyed shard. It starts with a NUL, which no event name a user writes
 * starts with, so it never names a home index.
 */
export const keyedTargetName = (listener: KeyedListener): string =>
  `\u0000${JSON.stringify([listener.event, listener.path, listener.slot])}`;

/** A tuple in a keyed shard's name, as {@link keyedTargetName} writes it. */
const keyedNameSchema = z.tuple([z.string(), z.string(), z.number().int().min(0)]);

/**
 * The keyed shard an object name names, or undefined for a home index's name. A listening written
 * by a release before keyed shards (which took every name for a home) is repaired with it.
 */
export function keyedListenerOfName(name: string): KeyedListener | undefined {
  if (!name.startsWith("\u0000")) return undefined;
  try {
    const [event, path, slot] = keyedNameSchema.parse(JSON.parse(name.slice(1)));
    return { event, path, slot };
  } catch {
    return undefined;
  }
}

/** The slot of a key's value. */
export const slotOf = (value: string): number => fnv1a(value) % WAIT_SLOTS;

/** Where a waiter registers: its index's object name, and for a keyed shard what it listens to. */
export interface WaitTarget {
  name: string;
  keyed?: KeyedListener;
}

/** The index a wait on `eventName` with `condition` (for a run started by `runEvent`) lives in. */
export function waitTarget(eventName: string, condition: string | undefined, runEvent: RunEvent): WaitTarget {
  const key = waitKey(condition, runEvent);
  if (!key) return { name: eventName };
  const keyed = { event: eventName, path: key.path, slot: slotOf(key.value) };
  return { name: keyedTargetName(keyed), keyed };
}

/** Whether `event` (of the listener's name) may be taken by a waiter of keyed shard `listener`. */
export function reachesSlot(event: RunEvent, listener: KeyedListener): boolean {
  const value = eventKey(event, listener.path);
  return value !== undefined && slotOf(value) === listener.slot;
}

/**
 * The events each listening keyed shard is sent, by its object name: of its event name, those
 * whose value at its path hashes to its slot.
 */
export function keyedDeliveries<E extends RunEvent>(events: E[], listeners: KeyedListener[]): Map<string, E[]> {
  const deliveries = new Map<string, E[]>();
  for (const listener of listeners) {
    const reached = events.filter((event) => event.name === listener.event && reachesSlot(event, listener));
    if (reached.length > 0) deliveries.set(keyedTargetName(listener), reached);
  }
  return deliveries;
}

/** An index that listens: a home (its name is the event name) or a keyed shard, since when. */
export const listeningSchema = z.object({ name: z.string(), since: z.number(), keyed: keyedListenerSchema.optional() });
export type Listening = z.infer<typeof listeningSchema>;

/**
 * An EventShard's answer on who listens for some events' names: the names whose home index
 * listens, the keyed shards that do, and whether the shard does not know every listening yet
 * (then the router asks D1's list for the keyed shards).
 */
export const shardListeningSchema = z.object({
  listened: z.array(z.string()),
  keyed: z.array(keyedListenerSchema),
  unsettled: z.boolean(),
});
export type ShardListening = z.infer<typeof shardListeningSchema>;

/**
 * A shard's answer on who listens for `names`. Older shards answered names alone, or nothing:
 * then, without keyed shards named, every name is handed to its home and the shard counts as
 * unsettled (the router asks D1 for the keyed shards).
 */
export function shardListening(answer: unknown, names: Iterable<string>): ShardListening {
  const parsed = shardListeningSchema.safeParse(answer);
  if (parsed.success) return parsed.data;
  const named = z.object({ listened: z.array(z.string()) }).safeParse(answer);
  return { listened: named.success ? named.data.listened : [...new Set(names)], keyed: [], unsettled: true };
}
