/**
 * A high concurrency limit's slots lent in blocks to its shards (the parent limiter's side).
 *
 * Every shard reports the slots it holds from the parent together with a sequence number it
 * alone advances; a report older than the one recorded is ignored, and a grant is added to the
 * record before the shard hears of it. So the record of a shard is never below what the shard
 * believes it holds, and the sum of the records, the parent's own holders included, never passes
 * the limit: a lost answer leaves slots unused until the shard's next report, never one too many.
 *
 * When the shards want more than is free, the parent is "short": each shard's fair part is the
 * limit over the shards in play, shards above it are asked to give back what they do not use, and
 * shards still wanting are called to ask again as slots come back.
 */
import { LazyTables } from "../lib/lazy-tables.ts";

const SCHEMA = [
  // `told`: the fair part the shard last heard of (NULL: none, the parent was not short).
  `CREATE TABLE IF NOT EXISTS leases (child INTEGER PRIMARY KEY, leased INTEGER NOT NULL, seq INTEGER NOT NULL, wanting INTEGER NOT NULL, told INTEGER)`,
  // Calls owed to shards: "slots are free, ask again" (quota NULL) or "give back above `quota`";
  // either way the shard answers by reporting again (see ConcurrencyLimiter.shardCall).
  `CREATE TABLE IF NOT EXISTS shard_calls (child INTEGER PRIMARY KEY, quota INTEGER, due_at INTEGER NOT NULL, tries INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS shard_calls_by_due ON shard_calls (due_at)`,
];

/** A shard's report: what it holds from the parent (as of its `seq`) and how many more it wants. */
export interface LeaseReport {
  child: number;
  holds: number;
  seq: number;
  want: number;
}

/** The parent's answer: slots added to the shard's lease, and its fair part while the parent is short. */
export interface LeaseAnswer {
  granted: number;
  quota: number | null;
}

/** A call the parent owes a shard. */
export interface ShardCall {
  child: number;
  quota: number | null;
}

/** A shard that does not answer is called again after 1 s, doubling up to 30 s. */
const CALL_RETRY_MS = 1_000;
const CALL_RETRY_MAX_MS = 30_000;

export class LeaseTable {
  private readonly tables: LazyTables;

  constructor(storage: SqlStorage) {
    this.tables = new LazyTables(storage, (sql) => {
      for (const statement of SCHEMA) sql.exec(statement);
    });
  }

  private get sql(): SqlStorage {
    return this.tables.sql;
  }

  /** The storage was deleted: the tables are made again when next used. */
  forget(): void {
    this.tables.forget();
  }

  /** Slots lent to shards, by the parent's record. */
  lent(): number {
    return Number(this.sql.exec<{ n: number | null }>("SELECT sum(leased) AS n FROM leases").one().n ?? 0);
  }

  /** Whether nothing is lent, wanted or owed. */
  idle(): boolean {
    const row = this.sql
      .exec<{ n: number }>(
        "SELECT (SELECT count(*) FROM leases WHERE leased > 0 OR wanting > 0) + (SELECT count(*) FROM shard_calls) AS n",
      )
      .one();
    return Number(row.n) === 0;
  }

  /**
   * Records a shard's report and lends it what is free, up to its fair part while short. `free`
   * is the limit less the parent's own holders less every lease (read after this report).
   */
  exchange(report: LeaseReport, limit: number, ownHolders: number): LeaseAnswer {
    this.sql.exec(
      `INSERT INTO leases (child, leased, seq, wanting) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (child) DO UPDATE SET
         leased = CASE WHEN excluded.seq > seq THEN excluded.leased ELSE leased END,
         seq = max(seq, excluded.seq), wanting = excluded.wanting`,
      report.child,
      report.holds,
      report.seq,
      report.want,
    );
    const quota = this.quota(limit, ownHolders);
    const leased = this.leasedBy(report.child);
    const free = Math.max(0, limit - ownHolders - this.lent());
    const room = quota === null ? report.want : Math.max(0, quota - leased);
    const granted = Math.min(report.want, free, room);
    if (granted > 0)
      this.sql.exec(
        "UPDATE leases SET leased = leased + ?2, wanting = max(0, wanting - ?2) WHERE child = ?1",
        report.child,
        granted,
      );
    const told = this.quota(limit, ownHolders);
    this.sql.exec("UPDATE leases SET told = ?2 WHERE child = ?1", report.child, told);
    this.plan(limit, ownHolders, Date.now());
    return { granted, quota: told };
  }

  private leasedBy(child: number): number {
    const row = this.sql.exec<{ leased: number }>("SELECT leased FROM leases WHERE child = ?1", child).toArray()[0];
    return Number(row?.leased ?? 0);
  }

  /**
   * Each shard's fair part while shards want more than is free (null when they do not): the
   * max-min share of the limit (less the parent's own holders) over what each shard holds and
   * wants, so a shard that needs little keeps what it needs and the rest is shared evenly.
   */
  private quota(limit: number, ownHolders: number): number | null {
    const demands = this.sql
      .exec<{ demand: number }>(
        "SELECT leased + wanting AS demand FROM leases WHERE leased > 0 OR wanting > 0 ORDER BY demand",
      )
      .toArray()
      .map((row) => Number(row.demand));
    let capacity = Math.max(0, limit - ownHolders);
    if (demands.reduce((sum, demand) => sum + demand, 0) <= capacity) return null;
    for (let i = 0; i < demands.length; i++) {
      const share = capacity / (demands.length - i);
      if (demands[i]! > share) return Math.max(1, Math.ceil(share));
      capacity -= demands[i]!;
    }
    return null;
  }

  /**
   * Owes the calls the state asks for: shards still wanting are told to ask again when slots are
   * free; while short, shards holding more than their part (and not yet told it) are asked to give back.
   */
  plan(limit: number, ownHolders: number, now: number): void {
    const quota = this.quota(limit, ownHolders);
    const free = limit - ownHolders - this.lent();
    if (free > 0)
      this.sql.exec(
        "INSERT OR IGNORE INTO shard_calls (child, quota, due_at, tries) SELECT child, NULL, ?1, 0 FROM leases WHERE wanting > 0",
        now,
      );
    if (quota !== null)
      this.sql.exec(
        `INSERT INTO shard_calls (child, quota, due_at, tries)
         SELECT child, ?1, ?2, 0 FROM leases WHERE leased > ?1 AND (told IS NULL OR told <> ?1)
         ON CONFLICT (child) DO UPDATE SET quota = excluded.quota`,
        quota,
        now,
      );
  }

  /** Calls due by `now` (at most `limit`), put off while they are made so overlapping passes do not repeat them. */
  dueCalls(now: number, limit: number): ShardCall[] {
    const due = this.sql
      .exec<{ child: number; quota: number | null }>(
        "SELECT child, quota FROM shard_calls WHERE due_at <= ?1 ORDER BY due_at LIMIT ?2",
        now,
        limit,
      )
      .toArray()
      .map((row) => ({ child: Number(row.child), quota: row.quota === null ? null : Number(row.quota) }));
    for (const call of due)
      this.sql.exec("UPDATE shard_calls SET due_at = ?2 WHERE child = ?1", call.child, now + CALL_RETRY_MS);
    return due;
  }

  /** The shard answered: the call is made (unless a newer one was owed meanwhile, with another quota). */
  called(call: ShardCall): void {
    this.sql.exec("DELETE FROM shard_calls WHERE child = ?1 AND quota IS ?2", call.child, call.quota);
  }

  /** The call did not go through: it is due again later. */
  callFailed(child: number, now: number): void {
    this.sql.exec(
      "UPDATE shard_calls SET tries = tries + 1, due_at = ?2 + min(?3, ?4 * (1 << min(tries, 10))) WHERE child = ?1",
      child,
      now,
      CALL_RETRY_MAX_MS,
      CALL_RETRY_MS,
    );
  }

  /** When the next owed call is due. */
  nextCall(): number | undefined {
    const row = this.sql.exec<{ at: number | null }>("SELECT min(due_at) AS at FROM shard_calls").one();
    return row.at === null ? undefined : Number(row.at);
  }

  /** Per shard, for the API and tests. */
  describe(): { child: number; leased: number; wanting: number }[] {
    return this.sql
      .exec<{ child: number; leased: number; wanting: number }>(
        "SELECT child, leased, wanting FROM leases ORDER BY child",
      )
      .toArray()
      .map((row) => ({ child: Number(row.child), leased: Number(row.leased), wanting: Number(row.wanting) }));
  }
}

/** The slots a shard asks for at least, and keeps spare before giving back: a few per shard. */
export const leaseBlock = (limit: number, shards: number): number => Math.max(1, Math.floor(limit / (2 * shards)));
