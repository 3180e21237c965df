/**
 * The tables of one run-index shard: the row of each run the shard holds, the number of runs per
 * creation hour and status (and per event name), and a histogram of completed runs' durations per creation hour. The
 * counters are kept in the same write as the row, so a count or a percentile over a window reads
 * one counter row per hour (and the rows of the window's partial edge hours), not every run.
 */
import { z } from "zod";
import { isEnded } from "../../sdk/run-status.ts";
import { pageSql, whereOf, type Condition, type Cursor } from "../../src/core/db/cursor.ts";
import { runConditions, runFromRow, type RunFilter } from "../../src/core/run-index/filter.ts";
import { RUN_ROW_COLUMNS, runRowValues, type RunIndexRow } from "../../src/core/db/runs.ts";
import { bucketOf, HOUR_MS, type DurationBucket, type ShardStats } from "../../src/core/run-index/histogram.ts";
import { stepDurationsSchema, type StepDurations } from "../../src/core/run-index/step-durations.ts";

/** Makes the tables (each read below goes by one of these indexes). */
export function createIndexTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, function_id TEXT NOT NULL, status TEXT NOT NULL, event_id TEXT NOT NULL,
    event_name TEXT NOT NULL, attempt INTEGER NOT NULL, parent_run_id TEXT, error TEXT,
    created_at INTEGER NOT NULL, ended_at INTEGER, updated_at INTEGER NOT NULL)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS runs_by_time ON runs (created_at, id)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, created_at, id)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS runs_by_event_name ON runs (event_name, created_at, id)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS runs_by_event ON runs (event_id, created_at, id)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS runs_by_end ON runs (ended_at)`);
  sql.exec(
    `CREATE TABLE IF NOT EXISTS run_counts (hour INTEGER, status TEXT, n INTEGER NOT NULL, PRIMARY KEY (hour, status))`,
  );
  sql.exec(
    `CREATE TABLE IF NOT EXISTS run_durations (hour INTEGER, bucket INTEGER, n INTEGER NOT NULL, PRIMARY KEY (hour, bucket))`,
  );
  // Step attempt durations of the runs that ended in each hour, in the metric's fixed buckets.
  sql.exec(
    `CREATE TABLE IF NOT EXISTS step_durations (hour INTEGER, le INTEGER, n INTEGER NOT NULL, sum_ms REAL NOT NULL, PRIMARY KEY (hour, le))`,
  );
  // Per event name too, so the dashboard's event filter counts from counters as well. A shard an
  // earlier release made has rows but not this table: it is filled from them once, in the same
  // synchronous block, before any write can count twice.
  const made = sql
    .exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_event_counts'`)
    .toArray().length;
  sql.exec(
    `CREATE TABLE IF NOT EXISTS run_event_counts (event_name TEXT, hour INTEGER, status TEXT, n INTEGER NOT NULL, PRIMARY KEY (event_name, hour, status))`,
  );
  // Each run's tags ('t') and metadata keys ('m'), for the filters by them.
  sql.exec(
    `CREATE TABLE IF NOT EXISTS run_labels (kind TEXT NOT NULL, label TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (kind, label, id))`,
  );
  sql.exec(`CREATE INDEX IF NOT EXISTS run_labels_by_run ON run_labels (id)`);
  if (made === 0)
    sql.exec(
      `INSERT INTO run_event_counts (event_name, hour, status, n)
       SELECT event_name, created_at / ?, status, count(*) FROM runs GROUP BY 1, 2, 3`,
      HOUR_MS,
    );
}

const storedSchema = z.object({
  status: z.string(),
  event_name: z.string(),
  created_at: z.number().int(),
  ended_at: z.number().int().nullable(),
  updated_at: z.number().int(),
});
type Stored = z.infer<typeof storedSchema>;
const countSchema = z.object({ status: z.string(), n: z.number().int() });
const bucketSchema = z.object({ bucket: z.number().int(), n: z.number().int() });
const durationSchema = z.object({ d: z.number() });
const idSchema = z.object({ id: z.string() });
const stepBucketSchema = stepDurationsSchema.element;

/** Hours of step durations a shard keeps (the metrics read the last 24). */
const STEP_HOURS_KEPT = 8 * 24;

const hourOf = (at: number): number => Math.floor(at / HOUR_MS);
/** A completed run's duration, creation to end; undefined for any other. */
const durationOf = (run: { status: string; createdAt: number; endedAt: number | null }): number | undefined =>
  run.status === "completed" && run.endedAt !== null ? Math.max(0, run.endedAt - run.createdAt) : undefined;

/** A time window `[after, before)`: the whole hours in it, and its partial edges. */
function split(after: number | undefined, before: number | undefined) {
  const from = after === undefined ? undefined : Math.ceil(after / HOUR_MS);
  const to = before === undefined ? undefined : Math.floor(before / HOUR_MS);
  // A window inside one hour has no whole hour: all of it is an edge.
  if (from !== undefined && to !== undefined && from >= to) return { hours: undefined, edges: [[after, before]] };
  const edges: [number | undefined, number | undefined][] = [];
  if (after !== undefined && after < from! * HOUR_MS) edges.push([after, from! * HOUR_MS]);
  if (before !== undefined && to! * HOUR_MS < before) edges.push([to! * HOUR_MS, before]);
  return { hours: { from, to }, edges };
}

/** One shard's run rows and counters (see the module comment). */
export class RunIndexStore {
  constructor(private readonly sql: () => SqlStorage) {}

  /** Writes each row, unless the shard holds a newer one of its run; counters follow. */
  put(rows: RunIndexRow[]): void {
    const sql = this.sql();
    for (const row of rows) {
      const found = this.stored(row.id);
      // Two status changes in one millisecond: an ended run's row is not replaced by one that is not.
      if (
        found &&
        (found.updated_at > row.updatedAt ||
          (found.updated_at === row.updatedAt && isEnded(found.status) && !isEnded(row.status)))
      )
        continue;
      sql.exec(
        `INSERT OR REPLACE INTO runs (${RUN_ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ...runRowValues(row),
      );
      if (found) this.count(found, -1);
      const counted = { status: row.status, event_name: row.eventName, created_at: row.createdAt };
      this.count({ ...counted, ended_at: row.endedAt, updated_at: 0 }, 1);
      // Once per run: when it ends (a row sent again for an ended run adds nothing).
      if (row.stepDurations && isEnded(row.status) && !(found && isEnded(found.status)))
        this.countSteps(row.endedAt ?? row.updatedAt, row.stepDurations);
      // A row from a RunObject of an older release says nothing of labels: they stay as they are.
      if (row.tags !== undefined || row.metadataKeys !== undefined) this.label(row.id, row.tags, row.metadataKeys);
    }
  }

  /** Adds an ended run's step durations to the hour it ended in; hours past {@link STEP_HOURS_KEPT} go. */
  private countSteps(endedAt: number, durations: StepDurations): void {
    const sql = this.sql();
    const hour = hourOf(endedAt);
    for (const { le, n, sumMs } of durations)
      sql.exec(
        `INSERT INTO step_durations (hour, le, n, sum_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (hour, le) DO UPDATE SET n = n + excluded.n, sum_ms = sum_ms + excluded.sum_ms`,
        hour,
        le,
        n,
        sumMs,
      );
    sql.exec(`DELETE FROM step_durations WHERE hour < ?`, hour - STEP_HOURS_KEPT);
  }

  /** Replaces run `id`'s labels: its tags and metadata keys. */
  private label(id: string, tags: string[] = [], metadataKeys: string[] = []): void {
    const sql = this.sql();
    sql.exec(`DELETE FROM run_labels WHERE id = ?`, id);
    for (const tag of tags) sql.exec(`INSERT OR IGNORE INTO run_labels (kind, label, id) VALUES ('t', ?, ?)`, tag, id);
    for (const key of metadataKeys)
      sql.exec(`INSERT OR IGNORE INTO run_labels (kind, label, id) VALUES ('m', ?, ?)`, key, id);
  }

  /** What the counters hold of run `id`, if the shard holds it. */
  private stored(id: string): Stored | undefined {
    const [found] = this.sql()
      .exec(`SELECT status, event_name, created_at, ended_at, updated_at FROM runs WHERE id = ?`, id)
      .toArray();
    return found === undefined ? undefined : storedSchema.parse(found);
  }

  private count(run: Stored, by: 1 | -1): void {
    const sql = this.sql();
    const hour = hourOf(run.created_at);
    sql.exec(
      `INSERT INTO run_counts (hour, status, n) VALUES (?, ?, ?) ON CONFLICT (hour, status) DO UPDATE SET n = n + excluded.n`,
      hour,
      run.status,
      by,
    );
    if (by < 0) sql.exec(`DELETE FROM run_counts WHERE hour = ? AND status = ? AND n <= 0`, hour, run.status);
    sql.exec(
      `INSERT INTO run_event_counts (event_name, hour, status, n) VALUES (?, ?, ?, ?)
       ON CONFLICT (event_name, hour, status) DO UPDATE SET n = n + excluded.n`,
      run.event_name,
      hour,
      run.status,
      by,
    );
    if (by < 0)
      sql.exec(
        `DELETE FROM run_event_counts WHERE event_name = ? AND hour = ? AND status = ? AND n <= 0`,
        run.event_name,
        hour,
        run.status,
      );
    const duration = durationOf({ status: run.status, createdAt: run.created_at, endedAt: run.ended_at });
    if (duration === undefined) return;
    const bucket = bucketOf(duration);
    sql.exec(
      `INSERT INTO run_durations (hour, bucket, n) VALUES (?, ?, ?) ON CONFLICT (hour, bucket) DO UPDATE SET n = n + excluded.n`,
      hour,
      bucket,
      by,
    );
    if (by < 0) sql.exec(`DELETE FROM run_durations WHERE hour = ? AND bucket = ? AND n <= 0`, hour, bucket);
  }

  /** A newest-first page of the rows matching `filter`, one more than `limit` when there is more. */
  list(filter: Omit<RunFilter, "limit" | "cursor">, cursor: Cursor | undefined, limit: number): RunIndexRow[] {
    const { sql, params } = pageSql({
      table: "runs",
      columns: "*",
      timeColumn: "created_at",
      conditions: runConditions(filter),
      cursor,
      limit,
    });
    return this.sql()
      .exec(sql, ...params)
      .toArray()
      .map((row) => runFromRow(row));
  }

  /**
   * How many runs match `filter` (its status aside), per status. Whole hours are read from the
   * counters (per event name when it names one) and only the window's partial edge hours from the
   * rows; a filter by event id reads its few rows.
   */
  countByStatus(filter: Omit<RunFilter, "limit" | "cursor" | "status">): Record<string, number> {
    const counts: Record<string, number> = {};
    const add = (rows: Iterable<Record<string, SqlStorageValue>>) => {
      for (const row of rows) {
        const { status, n } = countSchema.parse(row);
        counts[status] = (counts[status] ?? 0) + n;
      }
    };
    const sql = this.sql();
    const byRows = (after: number | undefined, before: number | undefined) => {
      const { where, params } = whereOf(runConditions({ ...filter, after, before }));
      return sql.exec(`SELECT status, count(*) AS n FROM runs ${where} GROUP BY status`, ...params);
    };
    // By event id, tag or metadata key: their rows (an event's few; a label's, by its index).
    if (filter.eventId !== undefined || filter.tag !== undefined || filter.metadataKey !== undefined) {
      add(byRows(filter.after, filter.before));
      return counts;
    }
    const { hours, edges } = split(filter.after, filter.before);
    if (hours) {
      const { where, params } = hourClause(hours, filter.eventName);
      const table = filter.eventName === undefined ? "run_counts" : "run_event_counts";
      add(sql.exec(`SELECT status, sum(n) AS n FROM ${table} ${where} GROUP BY status`, ...params));
    }
    for (const [after, before] of edges) add(byRows(after, before));
    return counts;
  }

  /** The row of run `id`, if this shard holds it. */
  row(id: string): RunIndexRow | undefined {
    const [found] = this.sql().exec(`SELECT * FROM runs WHERE id = ?`, id).toArray();
    return found === undefined ? undefined : runFromRow(found);
  }

  /** The runs each of `eventIds` started (at most `perEvent` each, oldest first). */
  forEvents(eventIds: string[], perEvent: number): RunIndexRow[] {
    return this.sql()
      .exec(
        `SELECT * FROM (
          SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY created_at, id) AS n
          FROM runs WHERE event_id IN (SELECT value FROM json_each(?))
        ) WHERE n <= ? ORDER BY created_at, id`,
        JSON.stringify(eventIds),
        perEvent,
      )
      .toArray()
      .map((row) => runFromRow(row));
  }

  /** Up to `limit` runs that ended before `before`, oldest end first (for retention). */
  endedBefore(before: number, limit: number): string[] {
    return this.sql()
      .exec(`SELECT id FROM runs WHERE ended_at < ? ORDER BY ended_at LIMIT ?`, before, limit)
      .toArray()
      .map((row) => idSchema.parse(row).id);
  }

  /** Drops the rows of `ids` (purged runs), and takes them out of the counters. */
  forget(ids: string[]): void {
    const sql = this.sql();
    for (const id of ids) {
      const found = this.stored(id);
      if (!found) continue;
      sql.exec(`DELETE FROM runs WHERE id = ?`, id);
      sql.exec(`DELETE FROM run_labels WHERE id = ?`, id);
      this.count(found, -1);
    }
  }

  /**
   * The runs created since `since`, per status, and the duration histogram of the completed ones;
   * the step durations of the runs that ended since (to the hour); and the runs queued or paused
   * now, whenever created.
   */
  stats(since: number): ShardStats {
    const byStatus = this.countByStatus({ after: since });
    const buckets = new Map<number, number>();
    const sql = this.sql();
    const { hours, edges } = split(since, undefined);
    const { where, params } = hourClause(hours!);
    for (const row of sql.exec(`SELECT bucket, sum(n) AS n FROM run_durations ${where} GROUP BY bucket`, ...params)) {
      const { bucket, n } = bucketSchema.parse(row);
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + n);
    }
    for (const [after, before] of edges) {
      const rows = sql.exec(
        `SELECT ended_at - created_at AS d FROM runs WHERE status = 'completed' AND ended_at IS NOT NULL AND created_at >= ? AND created_at < ?`,
        after,
        before,
      );
      for (const row of rows) {
        const bucket = bucketOf(Math.max(0, durationSchema.parse(row).d));
        buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
      }
    }
    const durations: DurationBucket[] = [...buckets].map(([bucket, n]) => ({ bucket, n }));
    const steps = sql
      .exec(
        `SELECT le, sum(n) AS n, sum(sum_ms) AS sumMs FROM step_durations WHERE hour >= ? GROUP BY le`,
        hourOf(since),
      )
      .toArray()
      .map((row) => stepBucketSchema.parse(row));
    const backlog = { queued: 0, paused: 0 };
    for (const row of sql.exec(
      `SELECT status, sum(n) AS n FROM run_counts WHERE status IN ('queued', 'paused') GROUP BY status`,
    )) {
      const { status, n } = countSchema.parse(row);
      backlog[status as keyof typeof backlog] = n;
    }
    return { byStatus, durations, steps, backlog };
  }
}

/** The condition on the counters' `hour` for the whole hours of a window (and the event name, if any). */
function hourClause(
  hours: { from: number | undefined; to: number | undefined },
  eventName?: string,
): { where: string; params: unknown[] } {
  const conditions: Condition[] = eventName === undefined ? [] : [["event_name = ?", eventName]];
  if (hours.from !== undefined) conditions.push(["hour >= ?", hours.from]);
  if (hours.to !== undefined) conditions.push(["hour < ?", hours.to]);
  return whereOf(conditions);
}
