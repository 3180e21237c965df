/**
 * The event names some run waits for (D1 `wait_names`, migration 0008). A WaitIndex writes its
 * name when it starts listening and removes it after it has been idle; the router asks, per batch,
 * which of its names are listened for, and hands only those to their WaitIndex. The order of the
 * two sides makes this safe: an event is in its EventShard before it is routed, and a WaitIndex
 * writes its name before it looks in the EventShards for what it missed, so each event is either routed to the
 * index or found there.
 */
import { z } from "zod";

const nameRow = z.object({ name: z.string() });

/** Which of `names` some run waits for (all of them while an upgrade is still re-registering old waits). */
export async function listenedNames(db: D1Database, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const { results } = await db
    .prepare(
      "SELECT name FROM wait_names WHERE name IN (SELECT value FROM json_each(?1)) UNION ALL SELECT '*' AS name FROM wait_names_upgrade",
    )
    .bind(JSON.stringify(names))
    .all();
  const listened = new Set(results.map((row) => nameRow.parse(row).name));
  return listened.has("*") ? new Set(names) : listened;
}

/** The WaitIndex of `name` listens from now on (`since` tells this listening apart from a later one). */
export async function listenFor(db: D1Database, name: string, since: number): Promise<void> {
  await db
    .prepare(
      "INSERT INTO wait_names (name, since) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET since = excluded.since",
    )
    .bind(name, since)
    .run();
}

/** The WaitIndex stops listening, unless it began listening again since (a newer `since`). */
export async function stopListening(db: D1Database, name: string, since: number): Promise<void> {
  await db.prepare("DELETE FROM wait_names WHERE name = ?1 AND since = ?2").bind(name, since).run();
}
