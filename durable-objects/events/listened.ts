/**
 * The event names some run waits for, as one EventShard knows them. A WaitIndex that starts
 * listening writes its name into every shard (and reads what the shard already holds, in the same
 * call); the shard answers, with each record or read for routing, which of the events' names are
 * listened for, so the router hands only those to their WaitIndex and asks D1 nothing.
 *
 * The race is closed in each shard, as it was in one object before: the name is written and the
 * shard's held events of that name are read in one synchronous block, and an event is recorded and
 * its name looked up in another. So an event recorded before the listening is in the read, and
 * one recorded after is routed to the index (both may happen; the index keeps an event once).
 *
 * A shard starts out delivering every name ("all"), and stays so until it has been given the names
 * already listened for (from D1's `wait_names`, which WaitIndexes keep as the list of record; see
 * src/core/events/listening.ts): a shard made by a raised shard count, or one of a deployment
 * that listened before shards knew names, never misses a wait. While an upgrade of older waits
 * is under way (`wait_names_upgrade`), shards stay "all".
 */
import { z } from "zod";

/** How a shard decides which names to hand to their WaitIndex. */
export const listeningModeSchema = z.enum(["all", "listed"]);
export type ListeningMode = z.infer<typeof listeningModeSchema>;

const MODE_KEY = "listening";

export function createListenedTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS listened (name TEXT PRIMARY KEY, since INTEGER NOT NULL)`);
}

export function listeningMode(kv: SyncKvStorage): ListeningMode {
  return listeningModeSchema.catch("all").parse(kv.get(MODE_KEY));
}

export function setListeningMode(kv: SyncKvStorage, mode: ListeningMode): void {
  kv.put(MODE_KEY, mode);
}

/** Which of `names` are listened for here (all of them while the shard delivers every name). */
export function listenedOf(sql: SqlStorage, kv: SyncKvStorage, names: Iterable<string>): string[] {
  const unique = [...new Set(names)];
  if (unique.length === 0) return [];
  if (listeningMode(kv) === "all") return unique;
  return sql
    .exec<{ name: string }>(
      `SELECT name FROM listened WHERE name IN (SELECT value FROM json_each(?1))`,
      JSON.stringify(unique),
    )
    .toArray()
    .map((row) => row.name);
}

/** Notes that `name` is listened for since `since` (a newer listening replaces an older one). */
export function listen(sql: SqlStorage, name: string, since: number): void {
  sql.exec(
    `INSERT INTO listened (name, since) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET since = max(since, excluded.since)`,
    name,
    since,
  );
}

/**
 * Stops listening for `name`: the listening that began at `since`, or, without it, any (an index
 * that no longer knows when it began is not listening at all).
 */
export function unlisten(sql: SqlStorage, name: string, since?: number): void {
  if (since === undefined) sql.exec(`DELETE FROM listened WHERE name = ?1`, name);
  else sql.exec(`DELETE FROM listened WHERE name = ?1 AND since = ?2`, name, since);
}
