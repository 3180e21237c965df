/**
 * Telling the EventShards the catalogue's generation (durable-objects/events/catalog-generation.ts
 * says what they do with it): after an app sync, and on every cron tick and start-up pass, which
 * puts right a shard that missed an announcement or is new.
 */
import { readCatalogState } from "../db/catalog-state.ts";
import type { Env } from "../env.ts";
import { allShards } from "../events/shards.ts";
import { eventShard } from "../objects.ts";

/** Gives every EventShard D1's catalogue generation; returns it. */
export async function announceCatalog(env: Env): Promise<number> {
  const { generation } = await readCatalogState(env.DB);
  await Promise.all(allShards(env).map((shard) => eventShard(env, shard).catalogChanged(generation)));
  return generation;
}

/** {@link announceCatalog}, for callers it must not fail: a failure is logged, and the next tick tries again. */
export async function announceCatalogOrLog(env: Env): Promise<void> {
  await announceCatalog(env).catch((error: unknown) =>
    console.error("stepwise: the event shards were not told the catalogue changed; the next tick tells them", error),
  );
}
