/**
 * WaitIndex: one Durable Object per event name (its home, for waits no value pins) and per keyed
 * shard of a name (src/core/waits/wait-targets.ts), holding the runs waiting there and the events
 * of that name (of that slot) that arrived recently. An arriving event finds its waiters in one call, by
 * the value they match (./wait-store.ts); a wait that registers finds an event that arrived just
 * before it (or within its lookback). Both sides run in this one object, so whichever comes
 * second sees the first: no event is missed by arriving in the same instant the wait begins. The
 * RunObject decides each resume, so an event that races a timeout, or two events racing for one
 * wait, resume it at most once.
 */
import type { Delivered } from "../../src/core/events/effects.ts";
import { slimEvent } from "../../src/core/events/schema.ts";
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { MAX_LOOKBACK_MS } from "../../sdk/event-steps.ts";
import { MAX_WAIT_PARTS, type RunEvent } from "../../sdk/protocol.ts";
import { MAX_STEPS_PER_RUN } from "../../src/core/limits.ts";
import type { Env } from "../../src/core/env.ts";
import { InvalidInputError, parseInput } from "../../src/core/lib/parse.ts";
import { eventsNamedSince } from "../../src/core/events/store.ts";
import { listenInShards, unlistenInShards } from "../../src/core/events/listening.ts";
import { toRunEvent } from "../../src/core/events/schema.ts";
import { LazyTables } from "../lib/lazy-tables.ts";
import { keepName, objectName } from "../lib/object-name.ts";
import { firstMatch, matches, RACE_WINDOW_MS, type ArrivedEvent, type Waiter } from "./wait-match.ts";
import { arrivedSchema, createWaitTables, waiterSchema, WaitStore } from "./wait-store.ts";
import { runObject } from "../../src/core/objects.ts";
import {
  keyedListenerOfName,
  keyedListenerSchema,
  keyedTargetName,
  reachesSlot,
  type KeyedListener,
} from "../../src/core/waits/wait-targets.ts";

/** How long past its timeout a waiter is kept (its run's alarm may fire a little late). */
const EXPIRED_GRACE_MS = 60_000;

/**
 * How long an index with no waiters goes on listening before it lets go of its name and its
 * storage: past every lookback, so what it deletes no wait could still need.
 */
const WAIT_INDEX_IDLE_MS = MAX_LOOKBACK_MS + RACE_WINDOW_MS + 60_000;
/** A run's answer to an event for one of its waits: taken, or whether the wait is still open. */
const resumeAnswerSchema = z.object({ resumed: z.boolean(), stillWaiting: z.boolean() });

/** An idle alarm that finds a registration or delivery under way looks again this much later. */
const BUSY_RETRY_MS = 60_000;

/**
 * The events a registering wait's run already took for its other waits (one event resumes at most
 * one wait of a run); bounded by what a run can hold.
 */
const takenSchema = z
  .array(z.string())
  .max(MAX_STEPS_PER_RUN * MAX_WAIT_PARTS)
  .optional()
  .default([]);

export class WaitIndex extends DurableObject<Env> {
  /** The tables, made on first use (again after the index let go of its storage). */
  private readonly tables = new LazyTables(this.ctx.storage.sql, createWaitTables);
  private readonly store = new WaitStore(() => this.tables.sql);
  /** The listening being set up, if any: waits that need it wait for it (see {@link cover}). */
  private covering: Promise<void> = Promise.resolve();
  /**
   * Registrations and deliveries under way. Each may hold a waiter outside the table across an
   * await (a registration until its cover is done, a delivery while the run answers), so the idle
   * alarm does not let go while any is open.
   */
  private busy = 0;

  private async busyWith<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await work();
    } finally {
      this.busy--;
    }
  }

  /** This index's object name: its event name for a home index; see keyedTargetName for a keyed shard. */
  private get name(): string {
    const name = objectName(this.ctx);
    if (name === undefined) throw new Error("a WaitIndex must be reached by its name (see waitIndex)");
    return name;
  }

  /** For a keyed shard, its event name, path and slot (its object name says them); undefined for a home. */
  private keyed(): KeyedListener | undefined {
    return keyedListenerOfName(this.name);
  }

  /** The event name whose arrivals this index holds. */
  private eventName(): string {
    return this.keyed()?.event ?? this.name;
  }

  /** From when on every arrival of the name is here; undefined while the index does not listen. */
  private covered(): number | undefined {
    return z.number().optional().parse(this.ctx.storage.kv.get("covered"));
  }

  /**
   * A keyed shard listening since a release before keyed shards (during a gradual deployment):
   * that release took its name for an event name, so no event reached it. The mark is written as
   * a keyed shard starts listening.
   */
  private listensBeforeKeyed(): boolean {
    return this.keyed() !== undefined && this.covered() !== undefined && this.ctx.storage.kv.get("keyed") === undefined;
  }

  /**
   * Makes sure every arrival from `from` on is here. The first wait on a name writes the name into
   * every EventShard, each answering in the same call with what it holds of the name since `from`
   * (so each event is either in that answer or routed here later; see
   * durable-objects/events/listened.ts); a wait whose lookback reaches before what is held reads
   * the shards again. Takes turns, so the name is written once per listening. A keyed shard that
   * listened before keyed shards existed listens again from its first wait's start, and its held
   * waiters are offered what it missed.
   */
  private async cover(from: number): Promise<void> {
    const covered = this.covered();
    if (covered !== undefined && covered <= from && !this.listensBeforeKeyed()) return;
    const turn = this.covering.then(async () => {
      const stale = this.listensBeforeKeyed();
      const now = stale ? undefined : this.covered();
      if (now !== undefined && now <= from) return;
      const start = Math.min(from, (stale && this.covered()) || from);
      let found;
      const listener = this.keyed();
      if (now === undefined) {
        const since = Date.now();
        found = await listenInShards(this.env, this.name, since, start, listener);
        this.ctx.storage.kv.put("since", since);
        if (listener) this.ctx.storage.kv.put("keyed", listener);
      } else found = await eventsNamedSince(this.env, this.eventName(), start, listener);
      // A keyed shard holds only the events of its slot: the router sends it no others.
      const arrivals = found
        .map((event) => ({ event: toRunEvent(event), receivedAt: event.receivedAt }))
        .filter(({ event }) => !listener || reachesSlot(event, listener));
      this.store.arrive(arrivals);
      this.ctx.storage.kv.put("covered", stale ? start : Math.min(start, this.covered() ?? start));
      if (stale) await this.resume(arrivals);
    });
    this.covering = turn.catch(() => undefined);
    await turn;
  }

  /** With no waiter left, the index comes back once it has been idle long enough to let go. */
  private async idleCheck(): Promise<void> {
    if (this.store.hasWaiters()) return;
    keepName(this.ctx);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + WAIT_INDEX_IDLE_MS);
  }

  /**
   * Lets go of an index with no waiter: its name leaves the EventShards and `wait_names` (so the
   * router stops delivering; an index that no longer knows when it began listening takes out any
   * listening of its name) and its storage is deleted. Takes its turn with {@link cover}: a wait that comes
   * meanwhile finds the index not listening and, after this, listens again.
   */
  override async alarm(): Promise<void> {
    const turn = this.covering.then(async () => {
      if (this.store.hasWaiters()) return;
      // A registration or delivery under way may be about to keep a waiter: come back later.
      if (this.busy > 0) {
        await this.ctx.storage.setAlarm(Date.now() + BUSY_RETRY_MS);
        return;
      }
      const since = z.number().optional().parse(this.ctx.storage.kv.get("since"));
      this.ctx.storage.kv.delete("covered");
      await unlistenInShards(this.env, this.name, since);
      this.tables.forget();
      await this.ctx.storage.deleteAll();
    });
    this.covering = turn.catch(() => undefined);
    await turn;
  }

  /**
   * Registers a wait. If an event that satisfies it already arrived, the wait is not kept and
   * the event is returned for the run to take at once. A keyed shard is told which it is
   * (`keyed`, see src/core/waits/wait-targets.ts) with every wait; a home index is told nothing.
   */
  async register(input: Waiter, keyed?: KeyedListener, taken?: string[]): Promise<RunEvent | null> {
    const waiter = parseInput(waiterSchema, input, "waiter");
    const shard = parseInput(keyedListenerSchema.optional(), keyed, "keyed shard");
    if (shard && keyedTargetName(shard) !== this.name)
      throw new InvalidInputError(
        `Invalid keyed shard: ${JSON.stringify(shard)} is not the shard ${JSON.stringify(this.name)}`,
      );
    const takenIds = new Set(parseInput(takenSchema, taken, "taken event ids"));
    return this.busyWith(() => this.registerWaiter(waiter, takenIds));
  }

  private async registerWaiter(waiter: Waiter, taken: Set<string>): Promise<RunEvent | null> {
    const from = waiter.startedAt - waiter.lookbackMs - RACE_WINDOW_MS;
    await this.cover(from);
    const arrivals = this.store.arrivals(from, waiter).filter((arrived) => !taken.has(arrived.event.id));
    const early = firstMatch(waiter, arrivals);
    if (early) {
      this.store.drop(waiter);
      this.store.consume(waiter, early);
      await this.idleCheck();
      return early.event;
    }
    this.store.keep(waiter);
    return null;
  }

  /**
   * Forgets the waits of a run that has ended (all of them, `cancelOn` listeners included), or
   * of some of its steps; a wait whose run is gone must not be kept until its timeout (a year).
   */
  async forget(run: string, steps?: string[]): Promise<void> {
    const runId = parseInput(z.string(), run, "run id");
    const stepIds = parseInput(z.array(z.string()).optional(), steps, "step ids");
    this.store.forget(runId, stepIds);
    await this.idleCheck();
  }

  /** Records arriving events and resumes every wait each one satisfies, oldest event first. */
  /** Resumes the waits `input` satisfies; answers how many, and which runs each event resumed or cancelled. */
  async deliver(input: ArrivedEvent[]): Promise<Delivered> {
    const events = parseInput(z.array(arrivedSchema), input, "arriving events");
    // Only events this index may hold: of its name, and for a keyed shard of its slot.
    const listener = this.keyed();
    const own = events.filter(
      ({ event }) => event.name === this.eventName() && (!listener || reachesSlot(event, listener)),
    );
    return this.busyWith(() => this.deliverEvents(own));
  }

  private async deliverEvents(events: ArrivedEvent[]): Promise<Delivered> {
    const now = Date.now();
    const horizon = now - MAX_LOOKBACK_MS - RACE_WINDOW_MS;
    this.store.prune(horizon, now - EXPIRED_GRACE_MS);
    // What is pruned is no longer held: a wait looking back before it reads it from the EventShards.
    const covered = this.covered();
    if (covered !== undefined && covered < horizon) this.ctx.storage.kv.put("covered", horizon);
    // Held and handed on without data kept in R2 (too large for a row or a run's history): only
    // this delivery's matching reads it, so a wait registering later does not see it.
    this.store.arrive(events.map(({ event, receivedAt }) => ({ event: slimEvent(event), receivedAt })));
    const delivered = await this.resume(events);
    await this.idleCheck();
    return delivered;
  }

  /** Resumes every held wait each of `events` (held already) satisfies, oldest event first. */
  private async resume(events: ArrivedEvent[]): Promise<Delivered> {
    let resumed = 0;
    const effects: Delivered["effects"] = [];
    for (const arrived of events) {
      // Only the waiters this event can resume are read (see WaitStore). A resume below awaits,
      // and meanwhile waits come and go: each is checked to be still kept before it is taken, and
      // one registering meanwhile finds the event among the arrivals itself.
      for (const waiter of this.store.candidates(arrived)) {
        if (!matches(waiter, arrived) || !this.store.stillKept(waiter) || this.store.consumedBy(waiter.runId, arrived))
          continue;
        // Claimed before the await, so neither a concurrent delivery nor the run's next wait takes it too.
        this.store.drop(waiter);
        this.store.consume(waiter, arrived);
        const run = runObject(this.env, waiter.runId);
        const event = slimEvent(arrived.event);
        const result = resumeAnswerSchema.parse(
          waiter.kind === "cancel"
            ? await run.cancelByEvent(event)
            : await run.resumeWait(waiter.stepId, event, waiter.part ?? 0),
        );
        if (result.resumed) {
          resumed++;
          effects.push({
            eventId: arrived.event.id,
            runId: waiter.runId,
            kind: waiter.kind === "cancel" ? "cancelled" : "resumed",
          });
          continue;
        }
        this.store.unconsume(waiter.runId, arrived);
        if (result.stillWaiting) this.store.keep(waiter);
      }
    }
    return { resumed, effects };
  }
}
