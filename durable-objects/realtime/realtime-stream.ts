/**
 * RealtimeStream: one Durable Object per named stream. Publishers append messages (each gets the
 * next `seq`; a message with an id already here is not added again); subscribers, on hibernating
 * WebSockets, get the kept messages after the `seq` they name and then every new one. The last
 * 1,000 messages of the last 24 hours are kept; an idle stream deletes itself once the nonces of
 * the tokens it took have expired, and its seqs go on above the old ones when it comes back.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import {
  MAX_MESSAGE_BYTES,
  MAX_MESSAGES_PER_PUBLISH,
  STREAM_REPLAY,
  type StreamMessage,
} from "../../sdk/realtime/messages.ts";
import { LazyTables } from "../lib/lazy-tables.ts";
import { closeWatcher } from "../live/live-feed.ts";
import { acceptSubscriber, broadcast, hasSubscribers, lastNonceExpiry } from "./subscribers.ts";

const publishSchema = z
  .array(z.object({ id: z.string().min(1).max(300).optional(), data: z.unknown() }))
  .min(1)
  .max(MAX_MESSAGES_PER_PUBLISH);

const rowSchema = z.object({ seq: z.number(), id: z.string().nullable(), data: z.string(), at: z.number() });

function makeTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, data TEXT NOT NULL, at INTEGER NOT NULL)`);
}

export class RealtimeStream extends DurableObject<Env> {
  private readonly tables: LazyTables;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.tables = new LazyTables(ctx.storage.sql, makeTables);
  }

  /** Appends messages and sends them to the subscribers; answers each one's `seq` (a repeat, its first). */
  async publish(messages: { id?: string; data: unknown }[]): Promise<{ seqs: number[] }> {
    const parsed = parseInput(publishSchema, messages, "messages");
    const sql = this.tables.sql;
    const now = Date.now();
    const seqs: number[] = [];
    const fresh: StreamMessage[] = [];
    for (const message of parsed) {
      const data = JSON.stringify(message.data ?? null);
      if (new TextEncoder().encode(data).byteLength > MAX_MESSAGE_BYTES)
        throw new Error(`A message is over ${MAX_MESSAGE_BYTES} bytes of JSON`);
      const known =
        message.id === undefined ? [] : sql.exec("SELECT seq FROM messages WHERE id = ?", message.id).toArray();
      const knownSeq = known[0]?.seq;
      if (typeof knownSeq === "number") {
        seqs.push(knownSeq);
        continue;
      }
      const [row] = sql
        .exec(
          "INSERT INTO messages (seq, id, data, at) VALUES (?, ?, ?, ?) RETURNING seq",
          this.firstSeq(now),
          message.id ?? null,
          data,
          now,
        )
        .toArray();
      const seq = Number(row?.seq);
      seqs.push(seq);
      fresh.push({
        type: "message",
        seq,
        ...(message.id ? { id: message.id } : {}),
        data: message.data ?? null,
        at: now,
      });
    }
    broadcast(this.ctx, fresh);
    this.prune(now);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + STREAM_REPLAY.ms);
    return { seqs };
  }

  /** A subscriber (the Worker checked its token): the kept messages after `after`, then live. */
  override async fetch(request: Request): Promise<Response> {
    const after = Number(new URL(request.url).searchParams.get("after") ?? 0) || 0;
    // A stream subscribed to but never published to still goes once its nonces expire.
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + STREAM_REPLAY.ms);
    return acceptSubscriber(this.ctx, request, () => {
      const rows = this.tables.sql
        .exec("SELECT seq, id, data, at FROM messages WHERE seq > ? ORDER BY seq", after)
        .toArray()
        .map((row) => rowSchema.parse(row));
      const replay = rows.map((row) => ({
        type: "message",
        seq: row.seq,
        ...(row.id ? { id: row.id } : {}),
        data: JSON.parse(row.data) as unknown,
        at: row.at,
      }));
      return [...replay, { type: "live", seq: rows.at(-1)?.seq ?? after }];
    });
  }

  /** Drops what is past the replay window; a stream with nothing kept and no subscriber goes. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.prune(now);
    const left = this.tables.sql.exec("SELECT min(at) AS oldest FROM messages").one().oldest;
    if (typeof left === "number") return void (await this.ctx.storage.setAlarm(left + STREAM_REPLAY.ms));
    if (hasSubscribers(this.ctx)) return void (await this.ctx.storage.setAlarm(now + STREAM_REPLAY.ms));
    const nonces = lastNonceExpiry(this.tables.sql, now);
    if (nonces !== undefined) return void (await this.ctx.storage.setAlarm(nonces + 1));
    await this.ctx.storage.deleteAll();
    this.tables.forget();
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    closeWatcher(socket, code, reason);
  }

  /**
   * The seq of a stream's first message: null (the next one) unless the stream holds none, then
   * the time in µs, so a stream that deleted itself and came back never reuses a seq a subscriber
   * resuming with `after` saw (its old seqs are below: it was idle a whole replay window).
   */
  private firstSeq(now: number): number | null {
    const kept = this.tables.sql.exec("SELECT max(seq) AS last FROM messages").one().last;
    return typeof kept === "number" ? null : now * 1000;
  }

  private prune(now: number): void {
    const sql = this.tables.sql;
    sql.exec("DELETE FROM messages WHERE at < ?", now - STREAM_REPLAY.ms);
    sql.exec("DELETE FROM messages WHERE seq <= (SELECT max(seq) FROM messages) - ?", STREAM_REPLAY.messages);
  }
}
