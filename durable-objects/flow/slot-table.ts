/**
 * Concurrency slots as rows in the limiter's SQLite: who holds a slot (a lease), who waits, and
 * which key was served longest ago. Every decision is synchronous SQL through indexes, so a call
 * decides without an await between what it reads and what it writes, and 100,000 waiting steps
 * cost rows, not one stored value rewritten per call (one value hit the 2 MB limit near 16,000).
 *
 * Fairness: waiters are served round robin across keys (the key served longest ago first), oldest
 * first within a key (less its priority), so one busy tenant cannot starve the others. A key's
 * bookkeeping row is kept while it has waiters and for {@link KEY_MEMORY_MS} after, then dropped.
 */
import { LazyTables } from "../lib/lazy-tables.ts";

/** A slot held by one step of one run. */
export interface Holder {
  runId: string;
  stepId: string;
  expiresAt: number;
}

/** A step waiting for a slot, with the key it is counted under (for fairness). */
export interface SlotRequest {
  runId: string;
  stepId: string;
  key: string;
  /** How far ahead of others that waited as long this step goes (the function's `priority`). */
  priorityMs?: number | undefined;
}

/** How long a key that has no waiters left is remembered as recently served. */
export const KEY_MEMORY_MS = 10 * 60_000;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS holders (run_id TEXT NOT NULL, step_id TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (run_id, step_id))`,
  `CREATE INDEX IF NOT EXISTS holders_by_expiry ON holders (expires_at)`,
  `CREATE TABLE IF NOT EXISTS waiters (run_id TEXT NOT NULL, step_id TEXT NOT NULL, key TEXT NOT NULL, place INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, PRIMARY KEY (run_id, step_id))`,
  `CREATE INDEX IF NOT EXISTS waiters_in_line ON waiters (key, place, enqueued_at)`,
  `CREATE TABLE IF NOT EXISTS slot_keys (key TEXT PRIMARY KEY, last_served INTEGER NOT NULL, waiting INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS keys_by_turn ON slot_keys (last_served) WHERE waiting > 0`,
  `CREATE TABLE IF NOT EXISTS slot_limit (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)`,
  // Runs granted a slot while waiting, until they answer the call telling them (see SlotTable.owe).
  `CREATE TABLE IF NOT EXISTS calls_owed (run_id TEXT PRIMARY KEY, due_at INTEGER NOT NULL, tries INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS calls_by_due ON calls_owed (due_at)`,
];

/** A run not answering its call is called again after 5 s, doubling up to a minute. */
const CALL_RETRY_MS = 5_000;
const CALL_RETRY_MAX_MS = 60_000;

export class SlotTable {
  private readonly tables: LazyTables;

  /**
   * @param lent slots of the limit lent to the limiter's shards (lease-table.ts): not free here.
   */
  constructor(
    storage: SqlStorage,
    private readonly lent: () => number = () => 0,
  ) {
    this.tables = new LazyTables(storage, (sql) => {
      for (const statement of SCHEMA) sql.exec(statement);
    });
  }

  /** The tables, created on first use (again after {@link forget}). */
  private get sql(): SqlStorage {
    return this.tables.sql;
  }

  /** Whether the table holds nothing worth keeping: no holder, waiter, call owed or remembered key. */
  idle(): boolean {
    const busy =
      "SELECT (SELECT count(*) FROM holders) + (SELECT count(*) FROM waiters) + (SELECT count(*) FROM calls_owed) + (SELECT count(*) FROM slot_keys) AS n";
    return this.count(busy) === 0;
  }

  /** The storage was deleted (an idle limiter prunes itself): the tables are made again when next used. */
  forget(): void {
    this.tables.forget();
  }

  private count(query: string, ...args: unknown[]): number {
    return Number(this.sql.exec<{ n: number }>(query, ...args).one().n);
  }

  /** The limit (set by the last request that named it; 1 before any). */
  get limit(): number {
    return Number(
      this.sql.exec<{ value: number }>("SELECT value FROM slot_limit WHERE id = 1").toArray()[0]?.value ?? 1,
    );
  }

  set limit(value: number) {
    this.sql.exec(
      "INSERT INTO slot_limit (id, value) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET value = excluded.value",
      value,
    );
  }

  holding(): number {
    return this.count("SELECT count(*) AS n FROM holders");
  }

  waiting(): number {
    return this.count("SELECT count(*) AS n FROM waiters");
  }

  holds(who: { runId: string; stepId: string }): boolean {
    return (
      this.count("SELECT count(*) AS n FROM holders WHERE run_id = ?1 AND step_id = ?2", who.runId, who.stepId) > 0
    );
  }

  /** When the next lease ends, if any is held. */
  nextExpiry(): number | undefined {
    const row = this.sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM holders").one();
    return row.at === null ? undefined : Number(row.at);
  }

  /** Drops holders whose lease has ended; returns them. */
  expire(now: number): Holder[] {
    return this.sql
      .exec<{ run_id: string; step_id: string; expires_at: number }>(
        "DELETE FROM holders WHERE expires_at <= ?1 RETURNING run_id, step_id, expires_at",
        now,
      )
      .toArray()
      .map((row) => ({ runId: row.run_id, stepId: row.step_id, expiresAt: Number(row.expires_at) }));
  }

  /** Grants free slots to waiters, fairly; returns the ones granted. */
  grant(now: number, leaseMs: number): SlotRequest[] {
    const granted: SlotRequest[] = [];
    let free = this.limit - this.holding() - this.lent();
    while (free > 0) {
      const turn = this.sql
        .exec<{ key: string }>("SELECT key FROM slot_keys WHERE waiting > 0 ORDER BY last_served LIMIT 1")
        .toArray()[0];
      if (!turn) break;
      const next = this.sql
        .exec<{ run_id: string; step_id: string }>(
          "SELECT run_id, step_id FROM waiters WHERE key = ?1 ORDER BY place, enqueued_at LIMIT 1",
          turn.key,
        )
        .toArray()[0];
      if (!next) {
        this.sql.exec("UPDATE slot_keys SET waiting = 0 WHERE key = ?1", turn.key);
        continue;
      }
      this.sql.exec("DELETE FROM waiters WHERE run_id = ?1 AND step_id = ?2", next.run_id, next.step_id);
      this.sql.exec(
        "INSERT OR REPLACE INTO holders (run_id, step_id, expires_at) VALUES (?1, ?2, ?3)",
        next.run_id,
        next.step_id,
        now + leaseMs,
      );
      // Strictly increasing, so two grants in the same millisecond still rotate keys.
      const latest = Number(
        this.sql.exec<{ at: number | null }>("SELECT max(last_served) AS at FROM slot_keys").one().at ?? now,
      );
      this.sql.exec(
        "UPDATE slot_keys SET waiting = waiting - 1, last_served = ?2 WHERE key = ?1",
        turn.key,
        Math.max(now, latest + 1),
      );
      granted.push({ runId: next.run_id, stepId: next.step_id, key: turn.key });
      free--;
    }
    return granted;
  }

  /**
   * A step asks for a slot: true when it holds one (now or already; the lease is renewed);
   * otherwise it waits, once, behind the others.
   */
  acquire(request: SlotRequest, now: number, leaseMs: number): boolean {
    this.expire(now);
    if (this.holds(request)) {
      this.sql.exec(
        "UPDATE holders SET expires_at = ?3 WHERE run_id = ?1 AND step_id = ?2",
        request.runId,
        request.stepId,
        now + leaseMs,
      );
      return true;
    }
    const queued = this.sql.exec(
      "INSERT OR IGNORE INTO waiters (run_id, step_id, key, place, enqueued_at) VALUES (?1, ?2, ?3, ?4, ?5)",
      request.runId,
      request.stepId,
      request.key,
      now - (request.priorityMs ?? 0),
      now,
    ).rowsWritten;
    if (queued > 0) {
      // A key never served (or forgotten) goes first, as it has waited longest for its turn.
      this.sql.exec(
        "INSERT INTO slot_keys (key, last_served, waiting) VALUES (?1, -1, 1) ON CONFLICT (key) DO UPDATE SET waiting = waiting + 1",
        request.key,
      );
    }
    this.grant(now, leaseMs);
    return this.holds(request);
  }

  /** A step gives its slot back (or stops waiting); returns the waiters that get the freed slots. */
  release(who: { runId: string; stepId: string }, now: number, leaseMs: number): SlotRequest[] {
    this.sql.exec("DELETE FROM holders WHERE run_id = ?1 AND step_id = ?2", who.runId, who.stepId);
    this.forgetWaiters("run_id = ?1 AND step_id = ?2", who.runId, who.stepId);
    this.expire(now);
    return this.grant(now, leaseMs);
  }

  /** A run that has ended gives back every slot it holds and stops waiting; returns the waiters granted. */
  releaseRun(runId: string, now: number, leaseMs: number): SlotRequest[] {
    this.sql.exec("DELETE FROM holders WHERE run_id = ?1", runId);
    this.forgetWaiters("run_id = ?1", runId);
    this.expire(now);
    return this.grant(now, leaseMs);
  }

  /** Drops the bookkeeping of keys with no waiters that were last served long ago. */
  pruneKeys(now: number): void {
    this.sql.exec("DELETE FROM slot_keys WHERE waiting <= 0 AND last_served < ?1", now - KEY_MEMORY_MS);
  }

  /**
   * Runs granted a slot while waiting are owed a call (the limiter makes it, and again until it
   * goes through), so a lost call does not leave a run queued with a slot held for it.
   */
  owe(runIds: Iterable<string>, now: number): void {
    for (const runId of runIds)
      this.sql.exec("INSERT OR IGNORE INTO calls_owed (run_id, due_at, tries) VALUES (?1, ?2, 0)", runId, now);
  }

  /**
   * Owed calls due by `now` (at most `limit`), put off by a retry interval while they are made so
   * that overlapping passes do not make them twice; calls to runs that hold no slot are dropped.
   */
  dueCalls(now: number, limit: number): string[] {
    this.sql.exec(
      "DELETE FROM calls_owed WHERE due_at <= ?1 AND NOT EXISTS (SELECT 1 FROM holders WHERE holders.run_id = calls_owed.run_id)",
      now,
    );
    const due = this.sql
      .exec<{ run_id: string }>("SELECT run_id FROM calls_owed WHERE due_at <= ?1 ORDER BY due_at LIMIT ?2", now, limit)
      .toArray()
      .map((row) => row.run_id);
    for (const runId of due)
      this.sql.exec("UPDATE calls_owed SET due_at = ?2 WHERE run_id = ?1", runId, now + CALL_RETRY_MS);
    return due;
  }

  /** The run answered (or asked itself): nothing is owed to it. */
  called(runId: string): void {
    this.sql.exec("DELETE FROM calls_owed WHERE run_id = ?1", runId);
  }

  /** The call did not go through: it is due again later. */
  callFailed(runId: string, now: number): void {
    this.sql.exec(
      "UPDATE calls_owed SET tries = tries + 1, due_at = ?2 + min(?3, ?4 * (1 << min(tries, 10))) WHERE run_id = ?1",
      runId,
      now,
      CALL_RETRY_MAX_MS,
      CALL_RETRY_MS,
    );
  }

  /** When the limiter must wake next: the next lease end, owed call, or key to forget. */
  nextWake(): number | undefined {
    const row = this.sql
      .exec<{ at: number | null }>(
        "SELECT min(at) AS at FROM (SELECT min(expires_at) AS at FROM holders UNION ALL SELECT min(due_at) FROM calls_owed UNION ALL SELECT min(last_served) + ?1 FROM slot_keys WHERE waiting <= 0)",
        KEY_MEMORY_MS,
      )
      .one();
    return row.at === null ? undefined : Number(row.at);
  }

  private forgetWaiters(where: string, ...args: unknown[]): void {
    const gone = this.sql.exec<{ key: string }>(`DELETE FROM waiters WHERE ${where} RETURNING key`, ...args).toArray();
    for (const { key } of gone) this.sql.exec("UPDATE slot_keys SET waiting = waiting - 1 WHERE key = ?1", key);
  }
}
