/**
 * D1's list of the event names some run waits for (`wait_names`, migration 0008): the list of
 * record, written when a WaitIndex starts listening and removed when it lets go. Routing does not
 * read it: each EventShard knows the listened names itself (durable-objects/events/listened.ts) and
 * is given this list when it is new (src/core/events/listening.ts). While `wait_names_upgrade` has
 * its row (src/waits/relisten.ts), every name is delivered.
 */
import { z } from "zod";

/** The WaitIndex of `name` listens from now on (`since` tells this listening apart from a later one). */
export async function listenFor(db: D1Database, name: string, since: number): Promise<void> {
  await db
    .prepare(
      "INSERT INTO wait_names (name, since) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET since = excluded.since",
    )
    .bind(name, since)
    .run();
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

const listenedRow = z.object({ name: z.string(), since: z.number() });

/** A page of the listened names (by name, after `after`), to give a shard the names it must know. */
export async function allListened(
  db: D1Database,
  after: string,
  limit: number,
): Promise<{ name: string; since: number }[]> {
  const { results } = await db
    .prepare("SELECT name, since FROM wait_names WHERE name > ?1 ORDER BY name LIMIT ?2")
    .bind(after, limit)
    .all();
  return results.map((row) => listenedRow.parse(row));
}
