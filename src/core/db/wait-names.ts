/**
 * D1's list of the WaitIndexes listening (`wait_names`, migrations 0008 and 0011: a home index by
 * its event name, a keyed shard with its event, path and slot): the list of record, written when
 * an index starts listening and removed when it lets go. Routing does not
 * read it: each EventShard knows the listened names itself (durable-objects/events/listened.ts) and
 * is given this list when it is new (src/core/events/listening.ts). While `wait_names_upgrade` has
 * its row (src/waits/relisten.ts), every name is delivered.
 */
import { z } from "zod";
import { keyedListenerOfName, type KeyedListener, type Listening } from "../waits/wait-targets.ts";

/**
 * The WaitIndex `name` (a home, or the keyed shard `keyed`) listens from now on (`since` tells this
 * listening apart from a later one).
 */
export async function listenFor(db: D1Database, name: string, since: number, keyed?: KeyedListener): Promise<void> {
  const listener = keyed ?? keyedListenerOfName(name);
  await db
    .prepare(
      `INSERT INTO wait_names (name, since, event_name, path, slot) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (name) DO UPDATE SET since = excluded.since, event_name = coalesce(excluded.event_name, event_name),
         path = coalesce(excluded.path, path), slot = coalesce(excluded.slot, slot)`,
    )
    .bind(name, since, listener?.event ?? null, listener?.path ?? null, listener?.slot ?? null)
    .run();
}

/**
 * Fills in the keyed shards in `page` that D1 holds without their event, path and slot (written by
 * a release before keyed shards, during a gradual deployment), so {@link keyedListenersOf} finds them.
 */
export async function repairKeyedListenings(db: D1Database, page: Listening[]): Promise<Listening[]> {
  const repaired = page.map((listening) => {
    const keyed = listening.keyed ?? keyedListenerOfName(listening.name);
    return keyed && !listening.keyed ? { ...listening, keyed } : listening;
  });
  const updates = repaired.filter((listening, i) => listening.keyed && !page[i]!.keyed);
  if (updates.length > 0)
    await db.batch(
      updates.map(({ name, keyed }) =>
        db
          .prepare("UPDATE wait_names SET event_name = ?2, path = ?3, slot = ?4 WHERE name = ?1")
          .bind(name, keyed!.event, keyed!.path, keyed!.slot),
      ),
    );
  return repaired;
}

/**
 * The WaitIndex stops listening, unless it began listening again since (a newer `since`); without
 * `since` (an index that no longer knows when it began), whatever listening of the name is left.
 */
export async function stopListening(db: D1Database, name: string, since?: number): Promise<void> {
  if (since === undefined) await db.prepare("DELETE FROM wait_names WHERE name = ?1").bind(name).run();
  else await db.prepare("DELETE FROM wait_names WHERE name = ?1 AND since = ?2").bind(name, since).run();
}

/** Whether the upgrade pass of older waits (src/waits/relisten.ts) is still under way. */
export async function upgradeUnderWay(db: D1Database): Promise<boolean> {
  return (await db.prepare("SELECT 1 FROM wait_names_upgrade LIMIT 1").first()) !== null;
}

const listenedRow = z
  .object({
    name: z.string(),
    since: z.number(),
    event_name: z.string().nullable(),
    path: z.string().nullable(),
    slot: z.number().int().nullable(),
  })
  .transform(({ name, since, event_name, path, slot }): Listening => ({
    name,
    since,
    ...(event_name !== null && path !== null && slot !== null ? { keyed: { event: event_name, path, slot } } : {}),
  }));

/** A page of the listening indexes (by name, after `after`), to give a shard the ones it must know. */
export async function allListened(db: D1Database, after: string, limit: number): Promise<Listening[]> {
  const { results } = await db
    .prepare("SELECT name, since, event_name, path, slot FROM wait_names WHERE name > ?1 ORDER BY name LIMIT ?2")
    .bind(after, limit)
    .all();
  return results.map((row) => listenedRow.parse(row));
}

/** The keyed shards listening to any of `names`. */
export async function keyedListenersOf(db: D1Database, names: string[]): Promise<KeyedListener[]> {
  if (names.length === 0) return [];
  const { results } = await db
    .prepare(
      "SELECT name, since, event_name, path, slot FROM wait_names WHERE event_name IN (SELECT value FROM json_each(?1))",
    )
    .bind(JSON.stringify(names))
    .all();
  return results.flatMap((row) => listenedRow.parse(row).keyed ?? []);
}
