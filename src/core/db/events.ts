/**
 * The events table in D1: recording accepted events (dedup by id within 24 hours), marking them
 * routed, and reading them back for the router, the sweeper and the API.
 */
import { z } from "zod";
import { jsonBytes } from "../lib/json-size.ts";
import { MAX_SWEEPS, storedEventSchema, type StoredEvent } from "../events/schema.ts";
import { pageQuery, toPage, type Condition, type Cursor } from "./cursor.ts";

/** An event id seen within this window is not routed again. */
const EVENT_DEDUP_MS = 24 * 60 * 60 * 1000;
/** Events are written in chunks whose JSON stays well under D1's 2 MB value limit. */
const CHUNK_BYTES = 1024 * 1024;

/** An event ready to record: id and ts assigned. */
export type NewEvent = Omit<StoredEvent, "receivedAt" | "routedAt">;

// A row is new, or replaces one older than the dedup window; either way RETURNING names it.
const INSERT = `INSERT INTO events (id, name, data, ts, user, v, received_at, routed_at)
SELECT e.value ->> '$.id', e.value ->> '$.name', e.value -> '$.data', e.value ->> '$.ts',
  e.value -> '$.user', e.value ->> '$.v', ?2, NULL
FROM json_each(?1) AS e WHERE true
ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data, ts = excluded.ts, user = excluded.user,
  v = excluded.v, received_at = excluded.received_at, queued_at = NULL, routed_at = NULL, sweeps = 0, route_error = NULL
WHERE events.received_at < ?3
RETURNING id`;

const eventRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  data: z.string(),
  ts: z.number(),
  user: z.string().nullable(),
  v: z.string().nullable(),
  received_at: z.number(),
  routed_at: z.number().nullable(),
  sweeps: z.number().int(),
  route_error: z.string().nullable(),
});
const COLUMNS = "id, name, data, ts, user, v, received_at, routed_at, sweeps, route_error";

/** Reads a stored row back into an event, validating it. */
function eventFromRow(row: unknown): StoredEvent {
  const r = eventRowSchema.parse(row);
  return storedEventSchema.parse({
    id: r.id,
    name: r.name,
    data: JSON.parse(r.data),
    ts: r.ts,
    ...(r.user ? { user: JSON.parse(r.user) } : {}),
    ...(r.v ? { v: r.v } : {}),
    receivedAt: r.received_at,
    ...(r.routed_at !== null ? { routedAt: r.routed_at } : {}),
    ...(r.routed_at === null && r.route_error !== null ? { routeError: r.route_error } : {}),
    ...(r.routed_at === null && r.sweeps >= MAX_SWEEPS ? { routingAbandoned: true } : {}),
  });
}

/**
 * Records events in one transaction and returns the ids that need routing: new ones, and ones
 * last seen more than {@link EVENT_DEDUP_MS} ago. Repeats within the window are not returned.
 */
export async function recordEvents(db: D1Database, events: NewEvent[], receivedAt: number): Promise<Set<string>> {
  const chunks: NewEvent[][] = [[]];
  let bytes = 0;
  for (const event of events) {
    const size = jsonBytes(event);
    if (bytes + size > CHUNK_BYTES && chunks.at(-1)!.length > 0) {
      chunks.push([]);
      bytes = 0;
    }
    chunks.at(-1)!.push(event);
    bytes += size;
  }
  const statements = chunks.map((chunk) =>
    db.prepare(INSERT).bind(JSON.stringify(chunk), receivedAt, receivedAt - EVENT_DEDUP_MS),
  );
  const results = await db.batch<{ id: string }>(statements);
  return new Set(results.flatMap((result) => result.results.map((row) => row.id)));
}

/** Reads events by id (missing ids are left out). */
export async function getEvents(db: D1Database, ids: string[]): Promise<StoredEvent[]> {
  return (await readEvents(db, ids)).events;
}

/**
 * Reads events by id for routing: rows that no longer read back as events (corrupted) are
 * returned apart, so one bad row cannot hold up the others.
 */
export async function readEvents(
  db: D1Database,
  ids: string[],
): Promise<{ events: StoredEvent[]; unreadable: { id: string; error: string }[] }> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM events WHERE id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify(ids))
    .all();
  const events: StoredEvent[] = [];
  const unreadable: { id: string; error: string }[] = [];
  for (const row of results) {
    try {
      events.push(eventFromRow(row));
    } catch (error) {
      unreadable.push({
        id: String((row as { id?: unknown }).id),
        error: `the stored event cannot be read: ${error instanceof Error ? error.message : String(error)}`.slice(
          0,
          1_000,
        ),
      });
    }
  }
  return { events, unreadable };
}

/** Notes why routing these events failed; `abandon` also stops the sweeper from re-queuing them. */
export async function markRouteFailed(db: D1Database, ids: string[], error: string, abandon = false): Promise<void> {
  await db
    .prepare(
      `UPDATE events SET route_error = ?2, sweeps = CASE WHEN ?3 THEN max(sweeps, ?4) ELSE sweeps END WHERE id IN (SELECT value FROM json_each(?1)) AND routed_at IS NULL`,
    )
    .bind(JSON.stringify(ids), error.slice(0, 1_000), abandon ? 1 : 0, MAX_SWEEPS)
    .run();
}

/** Makes an unrouted event the sweeper gave up on eligible again; true when there was one. */
export async function resetRouting(db: D1Database, id: string): Promise<boolean> {
  const result = await db
    .prepare(`UPDATE events SET sweeps = 0, queued_at = NULL, route_error = NULL WHERE id = ?1 AND routed_at IS NULL`)
    .bind(id)
    .run();
  return result.meta.changes > 0;
}

/** Marks events routed: every run they match has been started. */
export async function markRouted(db: D1Database, ids: string[], at: number): Promise<void> {
  await db
    .prepare(`UPDATE events SET routed_at = ?2 WHERE id IN (SELECT value FROM json_each(?1)) AND routed_at IS NULL`)
    .bind(JSON.stringify(ids), at)
    .run();
}

/** Sweeps after which the wait between re-queues of one event stops doubling (2^5 grace periods). */
const BACKOFF_DOUBLINGS = 5;

/**
 * Claims up to `limit` events that are unrouted and were accepted (or last re-queued) before
 * `before`, marking them re-queued at `now` (one more sweep), and returns their ids, oldest
 * first. With `backoffMs`, an event re-queued before waits longer each time: after its n-th sweep,
 * `backoffMs` × (2^n − 1) more (capped at {@link BACKOFF_DOUBLINGS} doublings), so an event whose
 * routing keeps failing costs less and less while routing is behind. Events swept
 * {@link MAX_SWEEPS} times are left alone.
 */
export async function claimUnrouted(
  db: D1Database,
  before: number,
  now: number,
  limit: number,
  backoffMs = 0,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `UPDATE events SET queued_at = ?2, sweeps = sweeps + 1 WHERE id IN (
        SELECT id FROM events WHERE routed_at IS NULL AND received_at < ?1 AND sweeps < ?4
          AND coalesce(queued_at, 0) + ?5 * ((1 << min(sweeps, ?6)) - 1) < ?1
        ORDER BY received_at LIMIT ?3) RETURNING id`,
    )
    .bind(before, now, limit, MAX_SWEEPS, backoffMs, BACKOFF_DOUBLINGS)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/** Whether any event was routed at or after `since` (routing is making progress). */
export async function routedSince(db: D1Database, since: number): Promise<boolean> {
  return (await db.prepare(`SELECT 1 FROM events WHERE routed_at >= ?1 LIMIT 1`).bind(since).first()) !== null;
}

/** Whether any accepted event is still unrouted (and not given up on). */
export async function hasUnrouted(db: D1Database): Promise<boolean> {
  return (
    (await db
      .prepare(`SELECT 1 FROM events WHERE routed_at IS NULL AND sweeps < ?1 LIMIT 1`)
      .bind(MAX_SWEEPS)
      .first()) !== null
  );
}

/** A page of events, newest first, optionally of one name. */
export async function listEvents(
  db: D1Database,
  filter: { name?: string | undefined; cursor?: Cursor | undefined; limit: number },
): Promise<{ items: EventSummary[]; next?: Cursor }> {
  const conditions: Condition[] = filter.name === undefined ? [] : [["name = ?", filter.name]];
  const query = pageQuery(db, {
    table: "events",
    columns: SUMMARY_COLUMNS,
    timeColumn: "received_at",
    conditions,
    cursor: filter.cursor,
    limit: filter.limit,
  });
  const { results } = await query.all();
  // A row that no longer reads back is left out of listings (the router has set it aside with the reason).
  const rows = results.map((row) => ({ key: rowKeySchema.parse(row), event: readable(row, summaryFromRow) }));
  const page = toPage(rows, filter.limit, ({ key }) => ({ at: key.received_at, id: key.id }));
  return {
    items: page.items.flatMap(({ event }) => (event ? [event] : [])),
    ...(page.next ? { next: page.next } : {}),
  };
}

/**
 * Largest payload (data, and user) a listing carries inline. A page of 200 listed events is thus
 * at most about 1.6 MiB, however large the events are (up to the event size limit each); a larger
 * payload is left out, its size said, and read with the event itself.
 */
const LISTED_PAYLOAD_BYTES = 4 * 1024;

/** An event in a listing: its payload only when it is small (see {@link LISTED_PAYLOAD_BYTES}). */
export type EventSummary = Omit<StoredEvent, "data" | "user"> & {
  data?: Record<string, unknown>;
  user?: Record<string, unknown>;
  /** Bytes of the data's JSON, whether or not it is carried. */
  dataBytes: number;
  /** The payload was left out for its size: GET the event for it. */
  payloadOmitted?: true;
};

// SQLite cuts the payload in the query, so a large one never leaves D1 for a listing.
const SUMMARY_COLUMNS = `id, name, ts, v, received_at, routed_at, sweeps, route_error, length(data) AS data_bytes,
  CASE WHEN length(data) + coalesce(length(user), 0) <= ${LISTED_PAYLOAD_BYTES} THEN data END AS data,
  CASE WHEN length(data) + coalesce(length(user), 0) <= ${LISTED_PAYLOAD_BYTES} THEN user END AS user`;

const summaryRowSchema = eventRowSchema.extend({ data: z.string().nullable(), data_bytes: z.number().int() });

function summaryFromRow(row: unknown): EventSummary {
  const r = summaryRowSchema.parse(row);
  const { data: _data, user: _user, ...rest } = eventFromRow({ ...r, data: "{}", user: null });
  return {
    ...rest,
    dataBytes: r.data_bytes,
    ...(r.data === null
      ? { payloadOmitted: true as const }
      : { data: storedEventSchema.shape.data.parse(JSON.parse(r.data)) }),
    ...(r.user ? { user: z.record(z.string(), z.unknown()).parse(JSON.parse(r.user)) } : {}),
  };
}

const rowKeySchema = z.object({ id: z.string(), received_at: z.number() });

function readable<T>(row: unknown, read: (row: unknown) => T): T | undefined {
  try {
    return read(row);
  } catch (error) {
    console.error(`stepwise: stored event ${String((row as { id?: unknown }).id)} cannot be read`, error);
    return undefined;
  }
}

/** One event by id, or null. */
/** A wait's lookback into `events` (see wait-names.ts) reads at most this many of the name's events. */
const LOOKBACK_READ_LIMIT = 1_000;

/**
 * The events of `name` accepted at or after `from`: the newest {@link LOOKBACK_READ_LIMIT} of them,
 * as those nearest a wait's start matter most.
 */
export async function eventsNamedSince(db: D1Database, name: string, from: number): Promise<StoredEvent[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM events WHERE name = ?1 AND received_at >= ?2 ORDER BY received_at DESC, id DESC LIMIT ?3`,
    )
    .bind(name, from, LOOKBACK_READ_LIMIT)
    .all();
  return results.map(eventFromRow).reverse();
}

export async function getEvent(db: D1Database, id: string): Promise<StoredEvent | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?1`).bind(id).first();
  return row ? (readable(row, eventFromRow) ?? null) : null;
}
