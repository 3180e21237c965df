/**
 * RunIndexBuffer: collects run index rows from many RunObjects and writes them to D1 in batches.
 * D1 has a single writer per database, so one batch of a hundred rows costs far less than a
 * hundred writes. Rows wait in this object's SQLite storage, not in memory, so an eviction loses
 * none; an alarm flushes whatever a timer did not.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { runIndexRowSchema, upsertRun, type RunIndexRow } from "../../src/db/runs.ts";
import type { Env } from "../../src/env.ts";
import { parseInput } from "../../src/lib/parse.ts";
import { closeWatcher, LiveFeed } from "../live/live-feed.ts";

/** How long a row may wait for others to share its batch. */
export const FLUSH_DELAY_MS = 25;
/** Rows written to D1 in one batch at most. */
const BATCH_SIZE = 200;
/** If the timer is lost with the object, the alarm flushes this much later. */
const SAFETY_FLUSH_MS = 5_000;
/** Buffers to spread index writes over; a run always uses the same one. */
export const INDEX_BUFFER_SHARDS = 4;

const storedSchema = z.object({ id: z.string(), updated_at: z.number(), row: z.string() });

export class RunIndexBuffer extends DurableObject<Env> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private alarmArmed = false;
  private flushing: Promise<void> | undefined;
  private readonly live: LiveFeed;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.live = new LiveFeed(ctx);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS pending (id TEXT PRIMARY KEY, updated_at INTEGER NOT NULL, row TEXT NOT NULL)");
  }

  /** Queues `row` for D1; a newer row for the same run replaces an older one still waiting. */
  async put(row: RunIndexRow): Promise<void> {
    const parsed = parseInput(runIndexRowSchema, row, "run index row");
    this.ctx.storage.sql.exec(
      `INSERT INTO pending (id, updated_at, row) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, row = excluded.row WHERE excluded.updated_at >= pending.updated_at`,
      parsed.id,
      parsed.updatedAt,
      JSON.stringify(parsed),
    );
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_DELAY_MS);
    if (!this.alarmArmed) {
      this.alarmArmed = true;
      await this.ctx.storage.setAlarm(Date.now() + SAFETY_FLUSH_MS);
    }
  }

  override async alarm(): Promise<void> {
    this.alarmArmed = false;
    await this.flush();
  }

  /** Writes every waiting row to D1, a batch at a time. */
  flush(): Promise<void> {
    this.flushing ??= this.flushAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushAll(): Promise<void> {
    const sql = this.ctx.storage.sql;
    for (;;) {
      const stored = sql.exec("SELECT id, updated_at, row FROM pending LIMIT ?", BATCH_SIZE).toArray().map((raw) => storedSchema.parse(raw));
      if (stored.length === 0) return;
      const rows = stored.map((entry) => runIndexRowSchema.parse(JSON.parse(entry.row)));
      await this.env.DB.batch(rows.map((row) => upsertRun(this.env.DB, row)));
      for (const entry of stored) sql.exec("DELETE FROM pending WHERE id = ? AND updated_at = ?", entry.id, entry.updated_at);
      this.live.changed({ type: "changed" });
    }
  }

  /** A dashboard page watching the index: hears when rows it may show were written. */
  override async fetch(request: Request): Promise<Response> {
    return this.live.accept(request);
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    closeWatcher(socket, code, reason);
  }
}

/** The buffer of shard `shard` (0 to {@link INDEX_BUFFER_SHARDS} - 1). */
export function indexBufferShard(env: Env, shard: number): DurableObjectStub<RunIndexBuffer> {
  return env.RUN_INDEX.get(env.RUN_INDEX.idFromName(`shard-${shard}`));
}

/** The buffer that takes `runId`'s rows. */
export function indexBufferFor(env: Env, runId: string): DurableObjectStub<RunIndexBuffer> {
  let hash = 0;
  for (let i = 0; i < runId.length; i++) hash = (hash * 31 + runId.charCodeAt(i)) >>> 0;
  return indexBufferShard(env, hash % INDEX_BUFFER_SHARDS);
}
