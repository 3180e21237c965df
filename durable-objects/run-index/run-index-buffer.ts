/**
 * RunIndexBuffer: collects run index rows from many RunObjects and writes them to D1 in batches.
 * D1 has a single writer per database, so one batch of a hundred rows costs far less than a
 * hundred writes. Rows wait in this object's SQLite storage, not in memory, so an eviction loses
 * none; an alarm flushes whatever a timer did not.
 *
 * The same class is the run-index shard of a function (objects named by `runIndexShard`, see
 * src/core/objects.ts): it keeps the rows of the runs that hash to it in its own SQLite, with
 * counters per status and hour and duration histograms (./index-store.ts), and answers pages,
 * counts and figures from them. The index moves from D1 into these shards (docs/scale.md).
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { runIndexRowSchema, upsertRun, type RunIndexRow } from "../../src/core/db/runs.ts";
import type { Env } from "../../src/core/env.ts";
import { InvalidInputError, parseInput } from "../../src/core/lib/parse.ts";
import { LazyTables } from "../lib/lazy-tables.ts";
import { createIndexTables, RunIndexStore } from "./index-store.ts";
import { noteIndexedFunction } from "../../src/core/run-index/functions.ts";
import {
  MAX_PAGE_ROWS,
  indexRowsSchema,
  pageLimitSchema,
  shardCursorSchema,
  shardFilterSchema,
  type ShardFilter,
} from "../../src/core/run-index/shard-protocol.ts";
import type { ShardStats } from "../../src/core/run-index/histogram.ts";
import type { Cursor } from "../../src/core/db/cursor.ts";

/** How long a row may wait for others to share its batch. */
const FLUSH_DELAY_MS = 25;
/** Rows written to D1 in one batch at most. */
const BATCH_SIZE = 200;
/** If the timer is lost with the object, the alarm flushes this much later. */
const SAFETY_FLUSH_MS = 5_000;
/** While D1 refuses rows, the alarm tries again at most this far apart. */
const RETRY_MAX_MS = 5 * 60_000;
/** The function an index shard holds the runs of (named by its first row). */
const FUNCTION_KEY = "index-function";
/** Set once an index shard has noted its function in D1's `indexed_functions`. */
const INDEXED_KEY = "indexed-function";

const storedSchema = z.object({ id: z.string(), updated_at: z.number(), row: z.string() });

export class RunIndexBuffer extends DurableObject<Env> {
  /** An index shard's note of its function in D1, while under way. */
  private noting: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private alarmArmed = false;
  private flushing: Promise<void> | undefined;
  /** Alarms in a row that found rows D1 would not take: the next one waits longer. */
  private failures = 0;
  /** The index-shard tables, made on first use: an object that only buffers has none. */
  private readonly indexTables = new LazyTables(this.ctx.storage.sql, createIndexTables);
  private readonly index = new RunIndexStore(() => this.indexTables.sql);

  /** The rows waiting for D1, made on first use: an index shard never has any. */
  private readonly pendingTables = new LazyTables(this.ctx.storage.sql, (sql) =>
    sql.exec(
      "CREATE TABLE IF NOT EXISTS pending (id TEXT PRIMARY KEY, updated_at INTEGER NOT NULL, row TEXT NOT NULL)",
    ),
  );

  /** Queues `row` for D1; a newer row for the same run replaces an older one still waiting. */
  async put(row: RunIndexRow): Promise<void> {
    const parsed = parseInput(runIndexRowSchema, row, "run index row");
    this.pendingTables.sql.exec(
      `INSERT INTO pending (id, updated_at, row) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, row = excluded.row WHERE excluded.updated_at >= pending.updated_at`,
      parsed.id,
      parsed.updatedAt,
      JSON.stringify(parsed),
    );
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      // Rows D1 refused stay in storage, and the alarm armed below tries them again.
      this.drain().catch((error: unknown) =>
        console.error("stepwise: run index rows not written yet; the alarm tries again", error),
      );
    }, FLUSH_DELAY_MS);
    if (!this.alarmArmed) {
      this.alarmArmed = true;
      await this.ctx.storage.setAlarm(Date.now() + SAFETY_FLUSH_MS);
    }
  }

  /**
   * Flushes, and while D1 refuses rows keeps its own alarm armed, further apart each time (the
   * runtime's own retries of a failed alarm are few, and the rows must not wait for a next put).
   */
  override async alarm(): Promise<void> {
    this.alarmArmed = false;
    try {
      await this.drain();
      this.failures = 0;
    } catch (error) {
      const delay = Math.min(SAFETY_FLUSH_MS * 2 ** this.failures, RETRY_MAX_MS);
      this.failures++;
      console.error(`stepwise: run index rows not written to D1; trying again in ${delay} ms`, error);
      this.alarmArmed = true;
      await this.ctx.storage.setAlarm(Date.now() + delay);
    }
  }

  /** Writes every waiting row D1 takes now; answers how many rows still wait (D1 refused them). */
  async flush(): Promise<{ waiting: number }> {
    await this.drain().catch((error: unknown) =>
      console.error("stepwise: run index rows not written yet; the alarm tries again", error),
    );
    return { waiting: z.number().parse(this.pendingTables.sql.exec("SELECT COUNT(*) AS n FROM pending").one().n) };
  }

  /** Writes every waiting row to D1 (one drain at a time); rejects, keeping them, if D1 refused some. */
  private drain(): Promise<void> {
    this.flushing ??= this.flushAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Passes over the waiting rows until none is left, or a pass wrote none of those it tried. */
  private async flushAll(): Promise<void> {
    for (;;) {
      const { written, refused } = await this.pass();
      if (refused > 0 && written === 0)
        throw new Error(`D1 refused ${refused} run index row(s); they wait for the next try`);
      if (written === 0) return;
    }
  }

  /** One pass over the waiting rows, in id order, a batch at a time. */
  private async pass(): Promise<{ written: number; refused: number }> {
    const sql = this.pendingTables.sql;
    let after = "";
    let written = 0;
    let refused = 0;
    for (;;) {
      const stored = sql
        .exec("SELECT id, updated_at, row FROM pending WHERE id > ? ORDER BY id LIMIT ?", after, BATCH_SIZE)
        .toArray()
        .map((raw) => storedSchema.parse(raw));
      const last = stored.at(-1);
      if (!last) return { written, refused };
      after = last.id;
      const done = await this.write(stored);
      for (const entry of done)
        sql.exec("DELETE FROM pending WHERE id = ? AND updated_at = ?", entry.id, entry.updated_at);
      written += done.length;
      refused += stored.length - done.length;
    }
  }

  /**
   * Writes rows in one D1 batch; if D1 refuses the batch, row by row, so that one row it will not
   * take holds up no other. Answers the rows written.
   */
  private async write(stored: z.infer<typeof storedSchema>[]): Promise<z.infer<typeof storedSchema>[]> {
    const readable = stored.flatMap((entry) => {
      const row = runIndexRowSchema.safeParse(JSON.parse(entry.row));
      if (row.success) return [{ entry, row: row.data }];
      console.error(
        `stepwise: a stored run index row for ${entry.id} is unreadable; it stays for inspection`,
        row.error.issues,
      );
      return [];
    });
    if (readable.length === 0) return [];
    try {
      await this.env.DB.batch(readable.map(({ row }) => upsertRun(this.env.DB, row)));
      return readable.map(({ entry }) => entry);
    } catch {
      const done: z.infer<typeof storedSchema>[] = [];
      for (const { entry, row } of readable) {
        try {
          await upsertRun(this.env.DB, row).run();
          done.push(entry);
        } catch (error) {
          console.error(`stepwise: D1 refused the run index row for ${entry.id}`, error);
        }
      }
      return done;
    }
  }

  /** As an index shard: keeps run rows (a row older than the one held for its run changes nothing). */
  async indexRows(rows: RunIndexRow[]): Promise<void> {
    const parsed = parseInput(indexRowsSchema, rows, "run index rows");
    const [first] = parsed;
    if (!first) return;
    // A shard holds one function's runs: the first row names it, and every later row must match.
    const held = z.string().optional().parse(this.ctx.storage.kv.get(FUNCTION_KEY)) ?? first.functionId;
    const stray = parsed.find((row) => row.functionId !== held);
    if (stray)
      throw new InvalidInputError(
        `Invalid run index rows: run ${stray.id} is of function "${stray.functionId}", this shard holds "${held}"'s`,
      );
    this.ctx.storage.kv.put(FUNCTION_KEY, held);
    this.index.put(parsed);
    // Once per shard: D1 learns its function has runs here, so listings of every function read it.
    // Calls that come while the note is under way wait for the same note.
    if (this.ctx.storage.kv.get(INDEXED_KEY) === undefined) {
      this.noting ??= noteIndexedFunction(this.env.DB, first.functionId, Date.now())
        .then(() => this.ctx.storage.kv.put(INDEXED_KEY, true))
        .finally(() => (this.noting = undefined));
      await this.noting;
    }
  }

  /** As an index shard: the row of run `id`, or null when this shard does not hold it. */
  async row(id: string): Promise<RunIndexRow | null> {
    return this.index.row(parseInput(z.string(), id, "run id")) ?? null;
  }

  /** As an index shard: the runs each of `eventIds` started, at most `perEvent` each, oldest first. */
  async forEvents(eventIds: string[], perEvent: number): Promise<RunIndexRow[]> {
    return this.index.forEvents(
      parseInput(z.array(z.string()).max(MAX_PAGE_ROWS), eventIds, "event ids"),
      parseInput(pageLimitSchema, perEvent, "runs per event"),
    );
  }

  /** As an index shard: up to `limit` runs ended before `before`, oldest end first. */
  async endedBefore(before: number, limit: number): Promise<string[]> {
    return this.index.endedBefore(
      parseInput(z.number().int(), before, "time"),
      parseInput(pageLimitSchema, limit, "limit"),
    );
  }

  /** As an index shard: drops the rows of purged runs. */
  async forget(ids: string[]): Promise<void> {
    this.index.forget(parseInput(z.array(z.string()).max(MAX_PAGE_ROWS), ids, "run ids"));
  }

  /** As an index shard: a newest-first page of its rows matching `filter`, one more than `limit` when there is more. */
  async page(filter: ShardFilter, cursor: Cursor | undefined, limit: number): Promise<RunIndexRow[]> {
    return this.index.list(
      parseInput(shardFilterSchema, filter, "run filter"),
      parseInput(shardCursorSchema, cursor, "cursor"),
      parseInput(pageLimitSchema, limit, "page size"),
    );
  }

  /** As an index shard: its runs matching `filter` (status aside), per status. */
  async counts(filter: ShardFilter): Promise<Record<string, number>> {
    return this.index.countByStatus(parseInput(shardFilterSchema.omit({ status: true }), filter, "run filter"));
  }

  /** As an index shard: its runs created since `since`, per status, and the completed ones' durations. */
  async stats(since: number): Promise<ShardStats> {
    return this.index.stats(parseInput(z.number().int(), since, "since"));
  }
}
