/**
 * The event names some run waits for, as one EventShard knows them. A WaitIndex that starts
 * listening writes its name into every shard (and reads what the shard already holds, in the same
 * call); the shard answers, with each record or read for routing, which of the events' names are
 * listened for, and by which indexes (the name's home, and its keyed shards: see
 * src/core/waits/wait-targets.ts), so the router hands events only to those and asks D1 nothing.
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
import { keyedListenerOfName, type KeyedListener, type ShardListening } from "../../src/core/waits/wait-targets.ts";

/** How a shard decides which names to hand to their WaitIndex. */
export const listeningModeSchema = z.enum(["all", "listed"]);
export type ListeningMode = z.infer<typeof listeningModeSchema>;

const MODE_KEY = "listening";

export function createListenedTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS listened (name TEXT PRIMARY KEY, since INTEGER NOT NULL)`);
  // A keyed shard's row names its event, path and slot; a home index's row has none of them (its
  // name is the event name). Rows of older shards are homes.
  const columns = new Set(
    sql
      .exec<{ name: string }>(`PRAGMA table_info(listened)`)
      .toArray()
      .map((column) => column.name),
  );
  if (!columns.has("event")) {
    sql.exec(`ALTER TABLE listened ADD COLUMN event TEXT`);
    sql.exec(`ALTER TABLE listened ADD COLUMN path TEXT`);
    sql.exec(`ALTER TABLE listened ADD COLUMN slot INTEGER`);
  }
  sql.exec(`CREATE INDEX IF NOT EXISTS listened_by_event ON listened (event)`);
  repairKeyedRows(sql);
}

/**
 * Fills in the event, path and slot of keyed shards' rows written without them (by a release
 * before keyed shards, during a gradual deployment): such a row names no event, so no event would
 * reach its shard. Keyed names sort first (they start with a NUL), so this reads only those.
 */
function repairKeyedRows(sql: SqlStorage): void {
  const rows = sql
    .exec<{ name: string }>(`SELECT name FROM listened WHERE name < ?1 AND event IS NULL`, "\u0001")
    .toArray();
  for (const { name } of rows) {
    const keyed = keyedListenerOfName(name);
    if (keyed)
      sql.exec(
        `UPDATE listened SET event = ?2, path = ?3, slot = ?4 WHERE name = ?1`,
        name,
        keyed.event,
        keyed.path,
        keyed.slot,
      );
  }
}

export function listeningMode(kv: SyncKvStorage): ListeningMode {
  return listeningModeSchema.catch("all").parse(kv.get(MODE_KEY));
}

export function setListeningMode(kv: SyncKvStorage, mode: ListeningMode): void {
  kv.put(MODE_KEY, mode);
}

const keyedRowSchema = z.object({ event: z.string(), path: z.string(), slot: z.number().int() });

/**
 * Who listens for `names` here: the names whose home index listens (every name while the shard
 * delivers every name), and the keyed shards of those names that listen. `unsettled` says the
 * shard does not know every listening yet ("all" mode), so the keyed shards it names may be
 * fewer than there are (the router then asks D1's list of record).
 */
export function listenedOf(sql: SqlStorage, kv: SyncKvStorage, names: Iterable<string>): ShardListening {
  const unique = [...new Set(names)];
  if (unique.length === 0) return { listened: [], keyed: [], unsettled: false };
  const all = listeningMode(kv) === "all";
  const json = JSON.stringify(unique);
  const listened = all
    ? unique
    : sql
        .exec<{ name: string }>(
          `SELECT name FROM listened WHERE name IN (SELECT value FROM json_each(?1)) AND event IS NULL`,
          json,
        )
        .toArray()
        .map((row) => row.name);
  const keyed = sql
    .exec(`SELECT event, path, slot FROM listened WHERE event IN (SELECT value FROM json_each(?1))`, json)
    .toArray()
    .map((row) => keyedRowSchema.parse(row));
  return { listened, keyed, unsettled: all };
}

/**
 * Notes that the index `name` (a home, or the keyed shard `keyed`) listens since `since` (a newer
 * listening replaces an older one).
 */
export function listen(sql: SqlStorage, name: string, since: number, keyed?: KeyedListener): void {
  // An older WaitIndex names no keyed shard, even its own: its name says which it is.
  const listener = keyed ?? keyedListenerOfName(name);
  sql.exec(
    `INSERT INTO listened (name, since, event, path, slot) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (name) DO UPDATE SET since = max(since, excluded.since),
       event = coalesce(excluded.event, event), path = coalesce(excluded.path, path), slot = coalesce(excluded.slot, slot)`,
    name,
    since,
    listener?.event ?? null,
    listener?.path ?? null,
    listener?.slot ?? null,
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
