/**
 * EventShard: one of the Durable Objects that hold accepted events, and the safety net under
 * their routing (src/core/events/shards.ts says which shard holds which event). An event is
 * recorded here before the API answers and stays unrouted until the router has started every run
 * it matches; the shard's own alarm re-queues what stays unrouted past a grace period (the queue
 * lost it, or the Worker stopped between accept and route), each time twice as late, and gives up
 * after MAX_SWEEPS tries, leaving the event for a person to reroute. While routing makes progress
 * here, an unrouted event is taken to be behind in the queue, not lost, until it is
 * {@link SWEEP_BEHIND_MS} old. Routing is idempotent, so a needless re-queue starts nothing twice.
 *
 * The same alarm prunes routed events past the retention period, so a shard holds at most
 * retention × its share of the event rate. Ids repeated within 24 hours are not routed again:
 * a client id always hashes to the same shard, so that check is local.
 */
import { PRUNE_BATCH, PRUNE_EVERY_MS, pruneRouted } from "./prune.ts";
import { createEffectsTable, effectsOf, noteEffect, type EventEffect } from "./event-effects.ts";
import { effectSchema, type Effect } from "../../src/core/events/effects.ts";
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { pageSql } from "../../src/core/db/cursor.ts";
import { enqueueEvents } from "../../src/core/events/enqueue.ts";
import { newEventSchema, pageRequestSchema, type EventPageRow } from "../../src/core/events/shard-protocol.ts";
import { MAX_SWEEPS, storedEventSchema, type StoredEvent } from "../../src/core/events/schema.ts";
import { LOOKBACK_READ_LIMIT } from "../../src/core/events/store.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { LazyTables } from "../lib/lazy-tables.ts";
import { keepName, objectName } from "../lib/object-name.ts";
import {
  COLUMNS,
  createEventTables,
  unroutedCounts,
  eventFromRow,
  readable,
  SUMMARY_COLUMNS,
  summaryFromRow,
  unreadableReason,
} from "./event-table.ts";
import { claimUnrouted, hasUnrouted, routedSince } from "./sweep.ts";
import * as listened from "./listened.ts";
import {
  keyedListenerSchema,
  listeningSchema,
  reachesSlot,
  type KeyedListener,
  type Listening,
  type ShardListening,
} from "../../src/core/waits/wait-targets.ts";
import { catalogGeneration, noteCatalogGeneration } from "./catalog-generation.ts";

/** Most of a name's events a keyed shard's lookback reads in one EventShard to find those of its slot. */
const LOOKBACK_SCAN_ROWS = 16 * LOOKBACK_READ_LIMIT;

/** An event id seen within this window is not routed again. */
const EVENT_DEDUP_MS = 24 * 60 * 60 * 1000;
/** An event unrouted this long after it was accepted (or last re-queued) is presumed lost by the queue. */
export const SWEEP_GRACE_MS = 30_000;
/** While routing makes progress, an unrouted event is presumed behind, not lost, until this old. */
export const SWEEP_BEHIND_MS = 10 * 60_000;
/** Events re-queued per alarm; the alarm comes back at once for the rest. */
const SWEEP_LIMIT = 5_000;
/**
 * Events accepted this shortly before an isolate started are left to their queue message (or
 * their direct route), most likely still on its way; what a crash lost is older than this.
 */
const IN_FLIGHT_MS = 2_000;

const INSERT = `INSERT INTO events (id, name, data, ts, user, v, received_at, tags, claim, traceparent)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9, ?10, ?11)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data, ts = excluded.ts, user = excluded.user,
  v = excluded.v, tags = excluded.tags, claim = excluded.claim, traceparent = excluded.traceparent, received_at = excluded.received_at, queued_at = NULL, routed_at = NULL, sweeps = 0, route_error = NULL
WHERE events.received_at < ?8
RETURNING id`;
const BY_IDS = "id IN (SELECT value FROM json_each(?1))";

const recordSchema = z.object({ events: z.array(newEventSchema).min(1), receivedAt: z.number().int() });
const idsSchema = z.array(z.string()).min(1);

/** Where the count of events ever accepted is kept. */
const ACCEPTED = "accepted-total";

export class EventShard extends DurableObject<Env> {
  private readonly tables = new LazyTables(this.ctx.storage.sql, (sql) => {
    createEventTables(sql);
    createEffectsTable(sql);
    listened.createListenedTable(sql);
  });

  private get sql(): SqlStorage {
    return this.tables.sql;
  }

  /** This shard's number (from its name, see eventShard), which its queue messages carry. */
  private get shard(): number {
    const match = /^events-(\d+)$/.exec(objectName(this.ctx) ?? "");
    if (!match) throw new Error("an EventShard must be reached by its number (see eventShard)");
    return Number(match[1]);
  }

  /**
   * Records events accepted at `receivedAt` in one transaction and returns the ids that need
   * routing (new ones, and ones last seen more than a day ago; repeats are not returned) and, from
   * the same transaction, which of their names some run waits for (see ./listened.ts).
   */
  async record(input: {
    events: unknown[];
    receivedAt: number;
  }): Promise<ShardListening & { fresh: string[]; catalog?: number }> {
    const { events, receivedAt } = parseInput(recordSchema, input, "events to record");
    const fresh: string[] = [];
    const names = new Set<string>();
    const waitedFor = this.ctx.storage.transactionSync(() => {
      for (const e of events) {
        const user = e.user === undefined ? null : JSON.stringify(e.user);
        const args = [e.id, e.name, JSON.stringify(e.data), e.ts, user, e.v ?? null, receivedAt];
        const tags = e.tags?.length ? JSON.stringify(e.tags) : null;
        const claim = e.claim ? JSON.stringify(e.claim) : null;
        const trace = e.traceparent ?? null;
        for (const row of this.sql.exec(INSERT, ...args, receivedAt - EVENT_DEDUP_MS, tags, claim, trace)) {
          fresh.push(String(row.id));
          names.add(e.name);
        }
      }
      // A counter that only grows (retention never lowers it): Prometheus's events accepted.
      if (fresh.length > 0) {
        const before = this.ctx.storage.kv.get(ACCEPTED);
        this.ctx.storage.kv.put(ACCEPTED, (typeof before === "number" ? before : 0) + fresh.length);
      }
      return listened.listenedOf(this.sql, this.ctx.storage.kv, names);
    });
    if (fresh.length > 0) await this.armBy(Date.now() + SWEEP_GRACE_MS);
    return { fresh, ...waitedFor, ...catalogGeneration(this.ctx.storage.kv) };
  }

  /** Events this shard ever accepted (a counter), and those not routed yet, or given up on. */
  async figures(): Promise<{ accepted: number; unrouted: number; abandoned: number }> {
    const stored = this.ctx.storage.kv.get(ACCEPTED);
    return { accepted: typeof stored === "number" ? stored : 0, ...unroutedCounts(this.sql) };
  }

  /** The runs this event resumed or cancelled. */
  async effects(eventId: string): Promise<EventEffect[]> {
    return effectsOf(this.sql, eventId);
  }

  /**
   * Takes in events recorded elsewhere (D1, before events were sharded) as they were: the same
   * ids, times and routing state, so an unrouted one is swept here and starts the runs (by their
   * derived ids) it would have. An id already here is left as it is. Returns how many were new.
   */
  async adopt(input: unknown[]): Promise<number> {
    const events = parseInput(z.array(storedEventSchema), input, "events to adopt");
    let adopted = 0;
    this.ctx.storage.transactionSync(() => {
      for (const e of events) {
        const user = e.user === undefined ? null : JSON.stringify(e.user);
        adopted += this.sql
          .exec(
            `INSERT INTO events (id, name, data, ts, user, v, received_at, routed_at, sweeps, route_error, tags, claim)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO NOTHING RETURNING id`,
            ...[e.id, e.name, JSON.stringify(e.data), e.ts, user, e.v ?? null, e.receivedAt, e.routedAt ?? null],
            e.routingAbandoned ? MAX_SWEEPS : 0,
            e.routeError ?? null,
            e.tags?.length ? JSON.stringify(e.tags) : null,
            e.claim ? JSON.stringify(e.claim) : null,
          )
          .toArray().length;
      }
    });
    await this.armBy(Date.now() + SWEEP_GRACE_MS);
    return adopted;
  }

  /**
   * Events by id for routing, and which of their names some run waits for now; rows that no
   * longer read back are returned apart, with why.
   */
  async read(
    ids: string[],
  ): Promise<
    ShardListening & { events: StoredEvent[]; unreadable: { id: string; error: string }[]; catalog?: number }
  > {
    const wanted = parseInput(idsSchema, ids, "event ids");
    const events: StoredEvent[] = [];
    const unreadable: { id: string; error: string }[] = [];
    for (const row of this.sql.exec(`SELECT ${COLUMNS} FROM events WHERE ${BY_IDS}`, JSON.stringify(wanted)))
      try {
        events.push(eventFromRow(row));
      } catch (error) {
        unreadable.push({ id: String(row.id), error: unreadableReason(error) });
      }
    const waitedFor = listened.listenedOf(
      this.sql,
      this.ctx.storage.kv,
      events.map((event) => event.name),
    );
    return { events, unreadable, ...waitedFor, ...catalogGeneration(this.ctx.storage.kv) };
  }

  /**
   * The function catalogue reached `generation` (an app synced): this shard names it with every
   * record and read for routing, so the router re-reads the catalogue only when it changed (see
   * ./catalog-generation.ts). An older generation arriving late is ignored.
   */
  async catalogChanged(generation: number): Promise<void> {
    noteCatalogGeneration(this.ctx.storage.kv, parseInput(z.number().int().min(0), generation, "catalog generation"));
  }

  /** Who listens for `names` now (see ./listened.ts). */
  async listenedOf(names: string[]): Promise<ShardListening> {
    return listened.listenedOf(this.sql, this.ctx.storage.kv, parseInput(z.array(z.string()), names, "event names"));
  }

  /**
   * The WaitIndex `name` (a home, or the keyed shard `keyed`) listens from `since` on: from now
   * on this shard names it with every event of its name it records or reads for routing. Returns,
   * from the same synchronous block, the newest `limit` events of that name held here accepted at
   * or after `from`, oldest first.
   */
  async listen(
    name: string,
    since: number,
    from: number,
    limit: number,
    keyed?: KeyedListener,
  ): Promise<StoredEvent[]> {
    const shard = parseInput(keyedListenerSchema.optional(), keyed, "keyed shard");
    listened.listen(this.sql, z.string().parse(name), z.number().parse(since), shard);
    return this.namedSince(shard?.event ?? name, from, limit, shard);
  }

  /** The WaitIndex of `name` stopped listening (the listening begun at `since`, or any). */
  async unlisten(name: string, since?: number): Promise<void> {
    listened.unlisten(this.sql, z.string().parse(name), z.number().optional().parse(since));
  }

  /** Whether this shard hands every name to its WaitIndex or only those listened for. */
  async listening(): Promise<listened.ListeningMode> {
    return listened.listeningMode(this.ctx.storage.kv);
  }

  /**
   * Takes names already listened for (from D1's list of record) and, with `mode`, from then on
   * hands only listened names to their WaitIndex ("listed") or every name ("all").
   */
  async settleListening(rows: Listening[], mode?: listened.ListeningMode): Promise<void> {
    const listenedRows = parseInput(z.array(listeningSchema), rows, "listened names");
    const newMode = listened.listeningModeSchema.optional().parse(mode);
    this.ctx.storage.transactionSync(() => {
      for (const row of listenedRows) listened.listen(this.sql, row.name, row.since, row.keyed);
      if (newMode !== undefined) listened.setListeningMode(this.ctx.storage.kv, newMode);
    });
  }

  /** One event, or null. */
  async get(id: string): Promise<StoredEvent | null> {
    const [row] = this.sql.exec(`SELECT ${COLUMNS} FROM events WHERE id = ?1`, z.string().parse(id)).toArray();
    return row ? (readable(row, eventFromRow) ?? null) : null;
  }

  /** Marks events routed: every run they match has been started. */
  async routed(ids: string[], at: number, effects: Effect[] = []): Promise<void> {
    const wanted = parseInput(idsSchema, ids, "event ids");
    const noted = parseInput(z.array(effectSchema), effects, "event effects");
    this.sql.exec(`UPDATE events SET routed_at = ?2 WHERE ${BY_IDS} AND routed_at IS NULL`, JSON.stringify(wanted), at);
    for (const effect of noted) noteEffect(this.sql, effect.eventId, effect.runId, effect.kind, at);
  }

  /** Notes why routing these events failed; `abandon` also stops the sweep from re-queuing them. */
  async routeFailed(ids: string[], error: string, abandon = false): Promise<void> {
    const wanted = parseInput(idsSchema, ids, "event ids");
    this.sql.exec(
      `UPDATE events SET route_error = ?2, sweeps = CASE WHEN ?3 THEN max(sweeps, ?4) ELSE sweeps END
       WHERE ${BY_IDS} AND routed_at IS NULL`,
      JSON.stringify(wanted),
      z.string().parse(error).slice(0, 1_000),
      abandon ? 1 : 0,
      MAX_SWEEPS,
    );
  }

  /** Queues an unrouted event again, watched by the sweep again (even one it gave up on). */
  async reroute(id: string): Promise<"requeued" | "not_found" | "already_routed"> {
    const [row] = this.sql.exec(`SELECT routed_at FROM events WHERE id = ?1`, z.string().parse(id)).toArray();
    if (!row) return "not_found";
    if (row.routed_at !== null) return "already_routed";
    this.sql.exec(`UPDATE events SET sweeps = 0, queued_at = NULL, route_error = NULL WHERE id = ?1`, id);
    await this.armBy(Date.now() + SWEEP_GRACE_MS);
    await enqueueEvents(this.env, this.shard, [id]);
    return "requeued";
  }

  /** A newest-first keyset page of this shard's events (one more row than asked, to tell if more exist). */
  async page(request: unknown): Promise<EventPageRow[]> {
    const { name, cursor, limit } = parseInput(pageRequestSchema, request, "event page");
    const { sql, params } = pageSql({
      table: "events",
      columns: SUMMARY_COLUMNS,
      timeColumn: "received_at",
      conditions: name === undefined ? [] : [["name = ?", name]],
      cursor,
      limit,
    });
    return this.sql
      .exec(sql, ...params)
      .toArray()
      .map((row) => ({
        at: Number(row.received_at),
        id: String(row.id),
        event: readable(row, summaryFromRow) ?? null,
      }));
  }

  /**
   * The newest `limit` events of `name` accepted at or after `from`, oldest first (a wait's
   * lookback); for a keyed shard (`keyed`), only those of its slot, reading at most
   * {@link LOOKBACK_SCAN_ROWS} of the name's events to find them.
   */
  async namedSince(name: string, from: number, limit: number, keyed?: KeyedListener): Promise<StoredEvent[]> {
    const count = z.number().int().positive().parse(limit);
    const slot = parseInput(keyedListenerSchema.optional(), keyed, "keyed shard");
    const rows = this.sql.exec(
      `SELECT ${COLUMNS} FROM events WHERE name = ?1 AND received_at >= ?2 ORDER BY received_at DESC, id DESC LIMIT ?3`,
      z.string().parse(name),
      z.number().parse(from),
      slot ? LOOKBACK_SCAN_ROWS : count,
    );
    const found: StoredEvent[] = [];
    for (const row of rows) {
      const event = readable(row, eventFromRow);
      if (event && (!slot || reachesSlot(event, slot))) found.push(event);
      if (found.length >= count) break;
    }
    return found.reverse();
  }

  /**
   * An isolate started serving at `before`: events accepted before then and not re-queued since
   * are re-queued now, not a grace period later (a restart lost the local queue's messages).
   */
  async recover(before: number): Promise<void> {
    const asked = z.number().optional().parse(this.ctx.storage.kv.get("recoverBefore"));
    this.ctx.storage.kv.put("recoverBefore", Math.max(asked ?? 0, z.number().parse(before)));
    await this.armBy(Date.now());
  }

  override async alarm(): Promise<void> {
    const shard = this.shard; // before anything is claimed: a shard that cannot say its number claims nothing
    const now = Date.now();
    let more = false;
    const recovery = z.number().optional().parse(this.ctx.storage.kv.get("recoverBefore"));
    if (recovery !== undefined) {
      const ids = claimUnrouted(this.sql, Math.min(recovery, now - IN_FLIGHT_MS), now, SWEEP_LIMIT);
      await this.requeue(shard, ids);
      if (ids.length === SWEEP_LIMIT) more = true;
      else if (this.ctx.storage.kv.get("recoverBefore") === recovery) this.ctx.storage.kv.delete("recoverBefore");
    }
    const behind = routedSince(this.sql, now - SWEEP_GRACE_MS);
    const before = now - (behind ? SWEEP_BEHIND_MS : SWEEP_GRACE_MS);
    const swept = claimUnrouted(this.sql, before, now, SWEEP_LIMIT, SWEEP_GRACE_MS);
    await this.requeue(shard, swept);
    if (swept.length === SWEEP_LIMIT) more = true;
    if ((await pruneRouted(this.sql, this.ctx.storage.kv, this.env, now)) === PRUNE_BATCH) more = true;
    const pruneAt = z.number().parse(this.ctx.storage.kv.get("prunedAt") ?? now) + PRUNE_EVERY_MS;
    const holds = this.sql.exec(`SELECT 1 FROM events LIMIT 1`).toArray().length > 0;
    const next = more
      ? now
      : Math.min(hasUnrouted(this.sql) ? now + SWEEP_GRACE_MS : Infinity, holds ? pruneAt : Infinity);
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
  }

  private async requeue(shard: number, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    console.warn(`stepwise: re-queuing ${ids.length} event(s) accepted but not routed (shard ${shard})`);
    await enqueueEvents(this.env, shard, ids);
  }

  /** Makes sure the alarm fires by `at`. */
  private async armBy(at: number): Promise<void> {
    keepName(this.ctx);
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null || armed > at) await this.ctx.storage.setAlarm(at);
  }
}
