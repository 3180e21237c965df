/**
 * Listened names across the EventShards (durable-objects/events/listened.ts holds one shard's
 * part and says why the race is closed per shard). A WaitIndex starts listening with
 * {@link listenInShards} and stops with {@link unlistenInShards}; D1's `wait_names` stays the list
 * of record, written only then (once per name per listening, never per event), so that
 * {@link settleListening} can give a shard that delivers every name (new, or of an older
 * deployment) the names it must know before it delivers only those.
 */
import { z } from "zod";
import type { Env } from "../env.ts";
import { eventShard } from "../objects.ts";
import {
  allListened,
  keyedListenersOf,
  listenFor,
  repairKeyedListenings,
  stopListening,
  upgradeUnderWay,
} from "../db/wait-names.ts";
import { keyedTargetName, shardListening, type KeyedListener, type ShardListening } from "../waits/wait-targets.ts";
import type { StoredEvent } from "./schema.ts";
import { allShards } from "./shards.ts";
import { LOOKBACK_READ_LIMIT, newestAcross } from "./store.ts";

/**
 * The WaitIndex `name` (a home, or the keyed shard `keyed`) listens from `since` on: written in
 * D1's list and in every shard, each shard answering with its events of the name accepted at or
 * after `from`. Returns them merged, oldest first.
 */
export async function listenInShards(
  env: Env,
  name: string,
  since: number,
  from: number,
  keyed?: KeyedListener,
): Promise<StoredEvent[]> {
  await listenFor(env.DB, name, since, keyed);
  const found = await Promise.all(
    allShards(env).map((shard) => eventShard(env, shard).listen(name, since, from, LOOKBACK_READ_LIMIT, keyed)),
  );
  return newestAcross(found);
}

/** The WaitIndex of `name` stops listening (the listening begun at `since`; without it, any). */
export async function unlistenInShards(env: Env, name: string, since?: number): Promise<void> {
  await Promise.all(allShards(env).map((shard) => eventShard(env, shard).unlisten(name, since)));
  await stopListening(env.DB, name, since);
}

/** Who listens for `names`, as shard `shard` knows them (for routing events read some other way). */
export async function listenedIn(env: Env, shard: number, names: string[]): Promise<ShardListening> {
  const answer: unknown = await eventShard(env, shard).listenedOf(names);
  // The release before keyed waits answered a list of names.
  return shardListening(Array.isArray(answer) ? { listened: answer } : answer, names);
}

/**
 * The keyed shards to hand events of `names` to: those the shard named, and, when the shard does
 * not know every listening yet, those in D1's list of record (a keyed shard that began listening
 * before this shard existed, say). D1 is read only then: a settled shard knows them all.
 */
export async function keyedListeners(env: Env, listening: ShardListening, names: string[]): Promise<KeyedListener[]> {
  if (!listening.unsettled || names.length === 0) return listening.keyed;
  const byName = new Map(listening.keyed.map((listener) => [keyedTargetName(listener), listener]));
  for (const listener of await keyedListenersOf(env.DB, [...new Set(names)]))
    byName.set(keyedTargetName(listener), listener);
  return [...byName.values()];
}

/** Names read from D1 per page while settling a shard. */
const SETTLE_PAGE = 1_000;

/**
 * Gives every shard D1's list (which puts right a name a shard lacks, say one an index of the
 * previous release wrote only to D1 during a deploy), and has a shard that still delivers every
 * name deliver only listened ones once it holds the whole list; while an upgrade of older waits is
 * under way, every shard delivers every name. Runs in the start-up pass and on the cron tick.
 * Returns the shards switched to listened names.
 */
export async function settleListening(env: Env): Promise<number> {
  const shards = allShards(env);
  if (await upgradeUnderWay(env.DB)) {
    await Promise.all(shards.map((shard) => eventShard(env, shard).settleListening([], "all")));
    return 0;
  }
  const modes = await Promise.all(
    shards.map(async (shard) => ({ shard, mode: await eventShard(env, shard).listening() })),
  );
  const unsettled = modes.filter(({ mode }) => mode === "all").map(({ shard }) => shard);
  let after = "";
  for (;;) {
    const page = await repairKeyedListenings(env.DB, await allListened(env.DB, after, SETTLE_PAGE));
    const final = page.length < SETTLE_PAGE;
    const given = page.length > 0 ? shards : unsettled;
    await Promise.all(
      given.map((shard) =>
        eventShard(env, shard).settleListening(page, final && unsettled.includes(shard) ? "listed" : undefined),
      ),
    );
    if (final) return unsettled.length;
    after = page.at(-1)!.name;
  }
}
