/**
 * The function catalogue's generation as one EventShard knows it. D1 holds the catalogue and its
 * generation (bumped by every app sync); a sync then announces the new generation to every shard,
 * and each shard names it in its answers to a record or a read for routing. The router re-reads
 * the catalogue from D1 only when a shard names a generation newer than its isolate's copy, so
 * routing asks D1 nothing while no app syncs (src/core/functions/catalog.ts).
 *
 * A shard that missed an announcement names an older generation: its events are routed with the
 * copy the isolate holds until the next cron tick gives every shard D1's generation. A shard that
 * knows none (new, or never told) names none, and the router then checks D1 as it did before.
 */
const KEY = "catalog-generation";

/** `{ catalog }` when this shard knows a generation; empty when it does not. */
export function catalogGeneration(kv: SyncKvStorage): { catalog?: number } {
  const stored = kv.get(KEY);
  return typeof stored === "number" && Number.isInteger(stored) && stored >= 0 ? { catalog: stored } : {};
}

/** Notes `generation`, unless a newer one is known already. */
export function noteCatalogGeneration(kv: SyncKvStorage, generation: number): void {
  const known = catalogGeneration(kv).catalog;
  if (known === undefined || generation > known) kv.put(KEY, generation);
}
