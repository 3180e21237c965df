/**
 * A WaitIndex's tables: the waiters, the events that arrived, and which event each run has
 * consumed. Every read goes by an index, so what one delivery or registration reads does not grow
 * with the number of waiters or arrivals held: a waiter whose condition pins the incoming event
 * to one value ({@link waitKey}) is stored under that key and found by it, and arrivals are keyed
 * by every path waiters use, so a registration finds the arrivals of its own value. Waiters
 * without a key (conditions that pin nothing) are checked against every arrival.
 */
import { z } from "zod";
import { runEventSchema } from "../../sdk/protocol.ts";
import { eventKey, waitKey, type WaitKey } from "../../src/core/waits/wait-key.ts";
import type { ArrivedEvent, Waiter } from "./wait-match.ts";

export const waiterSchema = z.object({
  runId: z.string(),
  stepId: z.string(),
  kind: z.enum(["step", "cancel"]).optional(),
  part: z.number().int().min(0).optional(),
  condition: z.string().optional(),
  runEvent: runEventSchema,
  startedAt: z.number(),
  lookbackMs: z.number(),
  until: z.number(),
});
export const arrivedSchema = z.object({ event: runEventSchema, receivedAt: z.number() });

/**
 * Most paths keyed in one index. Each path costs every arrival one keyed row, so past this a new
 * path's waiters are kept unkeyed (checked against every arrival), which is slower, not wrong.
 */
export const MAX_KEYED_PATHS = 16;

/** A waiter's key within its run: the step, and the event's position in a multi-event wait. */
export const waiterKey = (waiter: Waiter): string => (waiter.part ? `${waiter.stepId}#${waiter.part}` : waiter.stepId);

/** Makes the tables (and brings those of older objects up to date). */
export function createWaitTables(sql: SqlStorage): void {
  sql.exec(
    `CREATE TABLE IF NOT EXISTS waiters (run_id TEXT, step_id TEXT, body TEXT NOT NULL, until_at INTEGER, PRIMARY KEY (run_id, step_id))`,
  );
  // Objects made before waiters had an expiry column or a key get them (null: kept until the
  // run ends; unkeyed, so checked against every arrival, as they were).
  const columns = new Set(
    sql
      .exec<{ name: string }>(`PRAGMA table_info(waiters)`)
      .toArray()
      .map((column) => column.name),
  );
  if (!columns.has("until_at")) sql.exec(`ALTER TABLE waiters ADD COLUMN until_at INTEGER`);
  if (!columns.has("match_path")) sql.exec(`ALTER TABLE waiters ADD COLUMN match_path TEXT`);
  if (!columns.has("match_value")) sql.exec(`ALTER TABLE waiters ADD COLUMN match_value TEXT`);
  sql.exec(`CREATE INDEX IF NOT EXISTS waiters_by_expiry ON waiters (until_at)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS waiters_by_key ON waiters (match_path, match_value)`);
  sql.exec(
    `CREATE TABLE IF NOT EXISTS arrived (id TEXT PRIMARY KEY, body TEXT NOT NULL, received_at INTEGER NOT NULL)`,
  );
  sql.exec(`CREATE INDEX IF NOT EXISTS arrived_by_time ON arrived (received_at)`);
  // The paths waiters are keyed by, and each held arrival's value at each of them.
  sql.exec(`CREATE TABLE IF NOT EXISTS keyed_paths (path TEXT PRIMARY KEY)`);
  sql.exec(
    `CREATE TABLE IF NOT EXISTS arrived_keys (path TEXT, value TEXT, received_at INTEGER NOT NULL, id TEXT, PRIMARY KEY (path, value, received_at, id))`,
  );
  sql.exec(`CREATE INDEX IF NOT EXISTS arrived_keys_by_time ON arrived_keys (received_at)`);
  // An event resumes at most one wait of a run: the next wait of that run looks past it. The step
  // is kept so the same wait, registering again after a crash, finds its event again.
  sql.exec(
    `CREATE TABLE IF NOT EXISTS consumed (run_id TEXT, event_id TEXT, step_id TEXT NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (run_id, event_id))`,
  );
  sql.exec(`CREATE INDEX IF NOT EXISTS consumed_by_time ON consumed (received_at)`);
}

const bodyRowSchema = z.object({ body: z.string() });
const waiterRowSchema = z.object({ body: z.string(), rowid: z.number() });
const pathRowSchema = z.object({ path: z.string() });

/** The queries of a WaitIndex over its tables (see {@link createWaitTables}). */
export class WaitStore {
  constructor(private readonly sql: () => SqlStorage) {}

  hasWaiters(): boolean {
    return this.sql().exec(`SELECT 1 FROM waiters LIMIT 1`).toArray().length > 0;
  }

  private paths(): string[] {
    return this.sql()
      .exec(`SELECT path FROM keyed_paths`)
      .toArray()
      .map((row) => pathRowSchema.parse(row).path);
  }

  /**
   * The key `waiter` is kept under, keying its path from now on if it is new (and every held
   * arrival under it, so a registration's lookback finds them); undefined when it has none, or the
   * index keys {@link MAX_KEYED_PATHS} paths already.
   */
  private keyFor(waiter: Waiter): WaitKey | undefined {
    const key = waitKey(waiter.condition, waiter.runEvent);
    if (!key) return undefined;
    const sql = this.sql();
    if (sql.exec(`SELECT 1 FROM keyed_paths WHERE path = ?`, key.path).toArray().length > 0) return key;
    if (this.paths().length >= MAX_KEYED_PATHS && this.releaseUnusedPaths() === 0) return undefined;
    sql.exec(`INSERT INTO keyed_paths (path) VALUES (?)`, key.path);
    for (const row of sql.exec(`SELECT body FROM arrived`).toArray())
      this.keyArrival(arrivedSchema.parse(JSON.parse(bodyRowSchema.parse(row).body)), [key.path]);
    return key;
  }

  /**
   * Stops keying the paths no waiter is kept under any more (checked when the paths are full, so
   * a path once used costs nothing after its waiters are gone); returns how many went.
   */
  private releaseUnusedPaths(): number {
    const sql = this.sql();
    const unused = this.paths().filter(
      (path) => sql.exec(`SELECT 1 FROM waiters WHERE match_path = ? LIMIT 1`, path).toArray().length === 0,
    );
    for (const path of unused) {
      sql.exec(`DELETE FROM keyed_paths WHERE path = ?`, path);
      sql.exec(`DELETE FROM arrived_keys WHERE path = ?`, path);
    }
    return unused.length;
  }

  private keyArrival(arrived: ArrivedEvent, paths: string[]): void {
    for (const path of paths) {
      const value = eventKey(arrived.event, path);
      if (value === undefined) continue;
      this.sql().exec(
        `INSERT OR IGNORE INTO arrived_keys (path, value, received_at, id) VALUES (?, ?, ?, ?)`,
        path,
        value,
        arrived.receivedAt,
        arrived.event.id,
      );
    }
  }

  /** Holds arriving events, each keyed under every keyed path. */
  arrive(events: ArrivedEvent[]): void {
    if (events.length === 0) return;
    const paths = this.paths();
    for (const arrived of events) {
      const written = this.sql().exec(
        `INSERT OR IGNORE INTO arrived (id, body, received_at) VALUES (?, ?, ?)`,
        arrived.event.id,
        JSON.stringify(arrived),
        arrived.receivedAt,
      ).rowsWritten;
      if (written > 0) this.keyArrival(arrived, paths);
    }
  }

  /** Lets go of arrivals and consumptions before `horizon`, and of waiters expired before `expired`. */
  prune(horizon: number, expired: number): void {
    const sql = this.sql();
    sql.exec(`DELETE FROM arrived WHERE received_at < ?`, horizon);
    sql.exec(`DELETE FROM arrived_keys WHERE received_at < ?`, horizon);
    sql.exec(`DELETE FROM consumed WHERE received_at < ?`, horizon);
    sql.exec(`DELETE FROM waiters WHERE until_at < ?`, expired);
  }

  /**
   * What `waiter` may take among the arrivals since `since` (oldest first), less the events its
   * run has consumed for other waits: those of its own value when it has a key, else all.
   */
  arrivals(since: number, waiter: Waiter): ArrivedEvent[] {
    const key = this.keyFor(waiter);
    const notConsumed = `id NOT IN (SELECT event_id FROM consumed WHERE run_id = ? AND step_id != ?)`;
    const rows = key
      ? this.sql().exec(
          `SELECT a.body FROM arrived_keys k JOIN arrived a ON a.id = k.id
            WHERE k.path = ? AND k.value = ? AND k.received_at >= ? AND k.${notConsumed} ORDER BY k.received_at, k.id`,
          key.path,
          key.value,
          since,
          waiter.runId,
          waiterKey(waiter),
        )
      : this.sql().exec(
          `SELECT body FROM arrived WHERE received_at >= ? AND ${notConsumed} ORDER BY received_at, id`,
          since,
          waiter.runId,
          waiterKey(waiter),
        );
    return rows.toArray().map((row) => arrivedSchema.parse(JSON.parse(bodyRowSchema.parse(row).body)));
  }

  /** The waiters `arrived` may resume: the unkeyed ones and those keyed by its own values, oldest first. */
  candidates(arrived: ArrivedEvent): Waiter[] {
    const sql = this.sql();
    const rows = sql.exec(`SELECT rowid, body FROM waiters WHERE match_path IS NULL`).toArray();
    for (const path of this.paths()) {
      const value = eventKey(arrived.event, path);
      if (value !== undefined)
        rows.push(
          ...sql
            .exec(`SELECT rowid, body FROM waiters WHERE match_path = ? AND match_value = ?`, path, value)
            .toArray(),
        );
    }
    return rows
      .map((row) => waiterRowSchema.parse(row))
      .sort((a, b) => a.rowid - b.rowid)
      .map((row) => waiterSchema.parse(JSON.parse(row.body)));
  }

  keep(waiter: Waiter): void {
    const key = this.keyFor(waiter);
    this.sql().exec(
      `INSERT OR REPLACE INTO waiters (run_id, step_id, body, until_at, match_path, match_value) VALUES (?, ?, ?, ?, ?, ?)`,
      waiter.runId,
      waiterKey(waiter),
      JSON.stringify(waiter),
      waiter.until,
      key?.path ?? null,
      key?.value ?? null,
    );
  }

  stillKept(waiter: Waiter): boolean {
    return (
      this.sql()
        .exec(`SELECT 1 FROM waiters WHERE run_id = ? AND step_id = ?`, waiter.runId, waiterKey(waiter))
        .toArray().length > 0
    );
  }

  drop(waiter: Waiter): void {
    this.sql().exec(`DELETE FROM waiters WHERE run_id = ? AND step_id = ?`, waiter.runId, waiterKey(waiter));
  }

  /** Drops every waiter of a run, or those of some of its steps (each part of a multi-event wait too). */
  forget(runId: string, stepIds?: string[]): void {
    if (!stepIds) this.sql().exec(`DELETE FROM waiters WHERE run_id = ?`, runId);
    for (const stepId of stepIds ?? [])
      this.sql().exec(
        `DELETE FROM waiters WHERE run_id = ? AND (step_id = ? OR step_id LIKE ? || '#%')`,
        runId,
        stepId,
        stepId,
      );
  }

  consumedBy(runId: string, arrived: ArrivedEvent): boolean {
    return (
      this.sql().exec(`SELECT 1 FROM consumed WHERE run_id = ? AND event_id = ?`, runId, arrived.event.id).toArray()
        .length > 0
    );
  }

  consume(waiter: Waiter, arrived: ArrivedEvent): void {
    this.sql().exec(
      `INSERT OR IGNORE INTO consumed (run_id, event_id, step_id, received_at) VALUES (?, ?, ?, ?)`,
      waiter.runId,
      arrived.event.id,
      waiterKey(waiter),
      arrived.receivedAt,
    );
  }

  unconsume(runId: string, arrived: ArrivedEvent): void {
    this.sql().exec(`DELETE FROM consumed WHERE run_id = ? AND event_id = ?`, runId, arrived.event.id);
  }
}
