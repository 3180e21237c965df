/**
 * Where an event lives: in one of the EventShard objects, picked by its id. An id a client chose
 * hashes to its shard (so a repeat of it meets the first in one object, where the 24-hour dedup is
 * local); the ids Stepwise assigns are made to hash to one shard per request, so a batch without
 * ids is one call to one shard. Either way `shardOfId` finds an event from its id alone.
 *
 * The count comes from STEPWISE_EVENT_SHARDS (default {@link DEFAULT_EVENT_SHARDS}); docs/scale.md
 * says how to size it. Raise it, never lower it: events in shards past a lowered count drop out of
 * listings until retention removes them (they are still routed, by their shard's own alarm).
 */
import { ulid } from "ulid";
import type { Env } from "../env.ts";
import { ConfigError } from "../lib/config-error.ts";
import { fnv1a } from "../lib/hash.ts";

/** Shards when STEPWISE_EVENT_SHARDS is not set: ~8,000 accept requests/s at half the soft limit. */
export const DEFAULT_EVENT_SHARDS = 16;
/** Most shards: a generated id can still be made to hash to any of them (see {@link idInShard}). */
export const MAX_EVENT_SHARDS = 256;

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Characters of a generated id chosen to pick its shard: 32³ tries, more than enough for 256 shards. */
const TUNED_CHARS = 3;

/** The event shard count of this deployment; a value that is not a whole 1–256 is a config error. */
export function eventShardCount(env: Pick<Env, "STEPWISE_EVENT_SHARDS">): number {
  const raw = env.STEPWISE_EVENT_SHARDS;
  if (raw === undefined || raw === "") return DEFAULT_EVENT_SHARDS;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > MAX_EVENT_SHARDS)
    throw new ConfigError(`STEPWISE_EVENT_SHARDS must be a whole number from 1 to ${MAX_EVENT_SHARDS}, not "${raw}"`);
  return count;
}

/** All shard numbers of this deployment. */
export function allShards(env: Pick<Env, "STEPWISE_EVENT_SHARDS">): number[] {
  return Array.from({ length: eventShardCount(env) }, (_, shard) => shard);
}

/** The shard that holds event `id`. */
export function shardOfId(id: string, count: number): number {
  return fnv1a(id) % count;
}

/**
 * A new ULID that lives in `shard`: its last {@link TUNED_CHARS} characters are searched, from
 * their random start, for a value that hashes there (about `count` tries, each one multiply).
 * The rest of the id stays random, so ids made in the same millisecond still differ.
 */
export function idInShard(shard: number, count: number): string {
  for (;;) {
    const base = ulid();
    const head = base.slice(0, -TUNED_CHARS);
    const prefix = fnv1a(head);
    const start = [...base.slice(-TUNED_CHARS)].reduce((n, char) => n * 32 + CROCKFORD.indexOf(char), 0);
    for (let step = 0; step < 32 ** TUNED_CHARS; step++) {
      let n = (start + step) % 32 ** TUNED_CHARS;
      let tail = "";
      for (let i = 0; i < TUNED_CHARS; i++, n = Math.floor(n / 32)) tail = CROCKFORD.charAt(n % 32) + tail;
      if (fnv1a(tail, prefix) % count === shard) return head + tail;
    }
  }
}

/** A shard for a request's events that have no id: any one, spread evenly over requests. */
export function randomShard(count: number): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % count;
}
