/**
 * The events table of one EventShard: every event the shard accepted, until retention lets it go.
 * A row is its event as recorded plus its routing state (routed, re-queued, failed). Reads go by
 * id, by time or by (name, time), each through an index.
 */
import { z } from "zod";
import { MAX_SWEEPS, storedEventSchema, type EventSummary, type StoredEvent } from "../../src/core/events/schema.ts";

export function createEventTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL, ts INTEGER NOT NULL, user TEXT, v TEXT,
    received_at INTEGER NOT NULL, queued_at INTEGER, routed_at INTEGER,
    sweeps INTEGER NOT NULL DEFAULT 0, route_error TEXT)`);
  // Shards made before events had tags or claims get the columns (null: none).
  const columns = sql
    .exec<{ name: string }>(`PRAGMA table_info(events)`)
    .toArray()
    .map((column) => column.name);
  if (!columns.includes("tags")) sql.exec(`ALTER TABLE events ADD COLUMN tags TEXT`);
  if (!columns.includes("claim")) sql.exec(`ALTER TABLE events ADD COLUMN claim TEXT`);
  if (!columns.includes("traceparent")) sql.exec(`ALTER TABLE events ADD COLUMN traceparent TEXT`);
  sql.exec(`CREATE INDEX IF NOT EXISTS events_by_received ON events (received_at, id)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS events_by_name ON events (name, received_at, id)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS events_unrouted ON events (received_at) WHERE routed_at IS NULL`);
  sql.exec(`CREATE INDEX IF NOT EXISTS events_by_routed ON events (routed_at) WHERE routed_at IS NOT NULL`);
}

/** Events not routed yet, and those among them whose routing was given up. */
export function unroutedCounts(sql: SqlStorage): { unrouted: number; abandoned: number } {
  return sql
    .exec<{ unrouted: number; abandoned: number }>(
      `SELECT COUNT(*) AS unrouted, COALESCE(SUM(sweeps >= ?1), 0) AS abandoned FROM events WHERE routed_at IS NULL`,
      MAX_SWEEPS,
    )
    .one();
}

/** The columns D1's events table had before events were sharded (src/retention/legacy-d1.ts reads them). */
export const LEGACY_COLUMNS = "id, name, data, ts, user, v, received_at, routed_at, sweeps, route_error";
export const COLUMNS = `${LEGACY_COLUMNS}, tags, claim, traceparent`;

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
  tags: z.string().nullish(),
  claim: z.string().nullish(),
  traceparent: z.string().nullish(),
});

/** Reads a stored row back into an event, validating it. */
export function eventFromRow(row: unknown): StoredEvent {
  const r = eventRowSchema.parse(row);
  return storedEventSchema.parse({
    id: r.id,
    name: r.name,
    data: JSON.parse(r.data),
    ts: r.ts,
    ...(r.user ? { user: JSON.parse(r.user) } : {}),
    ...(r.v ? { v: r.v } : {}),
    ...(r.tags ? { tags: JSON.parse(r.tags) } : {}),
    ...(r.claim ? { claim: JSON.parse(r.claim) } : {}),
    ...(r.traceparent ? { traceparent: r.traceparent } : {}),
    receivedAt: r.received_at,
    ...(r.routed_at !== null ? { routedAt: r.routed_at } : {}),
    ...(r.routed_at === null && r.route_error !== null ? { routeError: r.route_error } : {}),
    ...(r.routed_at === null && r.sweeps >= MAX_SWEEPS ? { routingAbandoned: true } : {}),
  });
}

/**
 * Largest payload (data, and user) a listing carries inline. A page of 200 listed events is thus
 * at most about 1.6 MiB, however large the events are; a larger payload is left out, its size
 * said, and read with the event itself.
 */
const LISTED_PAYLOAD_BYTES = 4 * 1024;

// SQLite cuts the payload in the query, so a large one is never read for a listing.
export const SUMMARY_COLUMNS = `id, name, ts, v, received_at, routed_at, sweeps, route_error, tags, claim, length(data) AS data_bytes,
  CASE WHEN length(data) + coalesce(length(user), 0) <= ${LISTED_PAYLOAD_BYTES} THEN data END AS data,
  CASE WHEN length(data) + coalesce(length(user), 0) <= ${LISTED_PAYLOAD_BYTES} THEN user END AS user`;

const summaryRowSchema = eventRowSchema.extend({ data: z.string().nullable(), data_bytes: z.number().int() });

export function summaryFromRow(row: unknown): EventSummary {
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

/** Rows that no longer read back (corrupted) are logged and left out, so one cannot hold up the rest. */
export function readable<T>(row: Record<string, SqlStorageValue>, read: (row: unknown) => T): T | undefined {
  try {
    return read(row);
  } catch (error) {
    console.error(`stepwise: stored event ${String(row.id)} cannot be read`, error);
    return undefined;
  }
}

/** Why a row could not be read, short enough to store as its route error. */
export function unreadableReason(error: unknown): string {
  return `the stored event cannot be read: ${error instanceof Error ? error.message : String(error)}`.slice(0, 1_000);
}
