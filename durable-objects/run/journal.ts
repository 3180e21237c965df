/**
 * The run's history in the Durable Object's SQLite storage: append-only, one row per event.
 * Rows are validated with the history schema when read back.
 */
import { z } from "zod";
import { historyEventSchema, type HistoryEntry, type HistoryEvent } from "./history.ts";

/** A page of a run's history: entries after `afterSeq`, at most `limit`. */
export const historyPageSchema = z.object({
  afterSeq: z.number().int().min(0),
  limit: z.number().int().min(1).max(1_001),
});

const SCHEMA = `CREATE TABLE IF NOT EXISTS history (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  step_id TEXT,
  body TEXT NOT NULL
)`;

/** A history row as stored. */
type Row = { seq: number; at: number; body: string };

/** A run's history log in SQLite. */
export class Journal {
  constructor(private readonly sql: SqlStorage) {
    this.ensure();
  }

  /** Creates the table if it is not there (again, after the object's storage was deleted). */
  ensure(): void {
    this.sql.exec(SCHEMA);
  }

  /** Every entry, oldest first, each checked against the schema. */
  readAll(): HistoryEntry[] {
    return this.parse(this.sql.exec<Row>("SELECT seq, at, body FROM history ORDER BY seq").toArray());
  }

  /**
   * What a telemetry export after entry `afterSeq` needs, oldest first: the entries since, the
   * run's first entry, and every sleep's and wait's start (a span ending now began then). Not the
   * whole history again after every drive.
   */
  readForTelemetry(afterSeq: number): HistoryEntry[] {
    const query = `SELECT seq, at, body FROM history
WHERE seq > ? OR seq = 1 OR type IN ('step.sleeping', 'step.waiting') ORDER BY seq`;
    return this.parse(this.sql.exec<Row>(query, afterSeq).toArray());
  }

  /** Up to `limit` entries after entry `afterSeq`, oldest first. */
  readPage(afterSeq: number, limit: number): HistoryEntry[] {
    const query = "SELECT seq, at, body FROM history WHERE seq > ? ORDER BY seq LIMIT ?";
    return this.parse(this.sql.exec<Row>(query, afterSeq, limit).toArray());
  }

  private parse(rows: Row[]): HistoryEntry[] {
    return rows.map((row) => {
      const parsed = historyEventSchema.safeParse(JSON.parse(row.body));
      if (!parsed.success) throw new Error(`History entry ${row.seq} is corrupt: ${parsed.error.message}`);
      return { ...parsed.data, seq: row.seq, at: row.at };
    });
  }

  /**
   * Appends events after `lastSeq`. Writes are synchronous, so events appended together commit
   * together, and nothing leaves the object before they are durable (the output gate).
   */
  append(events: HistoryEvent[], lastSeq: number, at: number): HistoryEntry[] {
    return events.map((event, index) => {
      const seq = lastSeq + index + 1;
      const stepId = "stepId" in event ? event.stepId : null;
      this.sql.exec(
        "INSERT INTO history (seq, at, type, step_id, body) VALUES (?, ?, ?, ?, ?)",
        seq,
        at,
        event.type,
        stepId,
        JSON.stringify(event),
      );
      return { ...event, seq, at };
    });
  }
}
