/**
 * ConcurrencyLimiter: one Durable Object per (function or scope, limit, key value), holding that
 * limit's slots. A RunObject asks for a slot before a step executes and gives it back after; a
 * step that must wait is remembered, and when a slot frees the limiter calls the run back (until
 * the call goes through). Slots are leases, reclaimed by the alarm if a run dies holding one. A
 * limiter left idle deletes its storage (see {@link ConcurrencyLimiter.alarm}).
 *
 * A high limit (`limiterShards` in src/core/objects.ts) is split: each run counts against one
 * shard, a limiter of its own that grants from slots it leases in blocks from the limit's own
 * limiter, its parent (lease-table.ts, shard-lease.ts). The parent is called when slots move
 * between shards, not per drive.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { SlotTable, type SlotRequest } from "./slot-table.ts";
import { concurrencyLimiter, runObject } from "../../src/core/objects.ts";
import { LeaseTable, type LeaseAnswer } from "./lease-table.ts";
import { namedLimitSchema, shardSchema, ShardLease, SPARE_LINGER_MS } from "./shard-lease.ts";

/** How long a slot is held without being renewed. A step running longer than this may lose it. */
const SLOT_LEASE_MS = 5 * 60_000;
/** Runs (or shards) called back at once, at most; the others are called as the alarm comes round again. */
const CALLS_AT_ONCE = 100;
/** An idle limiter deletes its storage this long after its last use. */
const IDLE_PRUNE_MS = 60_000;
/** A shard whose exchange with its parent failed tries again this much later. */
const EXCHANGE_RETRY_MS = 5_000;

const limitSchema = z.number().int().min(1).max(10_000);
const requestSchema = z.object({
  runId: z.string(),
  stepIds: z.array(z.string()).min(1).max(1_000),
  key: z.string(),
  limit: limitSchema,
  priorityMs: z.number().min(-600_000).max(600_000).optional(),
  shard: shardSchema.optional(),
});
const leaseRequestSchema = z.object({
  child: z.number().int().min(0).max(63),
  holds: z.number().int().min(0).max(10_000),
  seq: z.number().int().min(1),
  want: z.number().int().min(0).max(10_000),
  limit: limitSchema,
  parent: namedLimitSchema,
  keyValue: z.string(),
});
const leaseAnswerSchema = z.object({ granted: z.number().int().min(0), quota: z.number().int().min(0).nullable() });
const childrenSchema = z.object({ parent: namedLimitSchema, keyValue: z.string() });

export class ConcurrencyLimiter extends DurableObject<Env> {
  private readonly slots: SlotTable;
  private readonly leases: LeaseTable;
  private readonly shard: ShardLease;
  /** A shard's exchanges with its parent, one at a time: each report must see the last one's answer. */
  private exchanging: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.leases = new LeaseTable(ctx.storage.sql);
    this.slots = new SlotTable(ctx.storage.sql, () => this.leases.lent());
    this.shard = new ShardLease(ctx.storage.kv);
  }

  /**
   * Calls back the runs granted a slot while waiting (one call per run, however many of its lanes
   * got one) and the shards owed a call, then arms the alarm for the next lease end or call to
   * try again. A run that does not answer is called again (5 s doubling to a minute) until it
   * does or its lease ends.
   */
  private async after(granted: SlotRequest[]): Promise<void> {
    const now = Date.now();
    this.slots.owe(new Set(granted.map((waiter) => waiter.runId)), now);
    const due = this.slots.dueCalls(now, CALLS_AT_ONCE);
    await Promise.all([
      ...due.map(async (runId) => {
        try {
          await runObject(this.env, runId).nudge();
          this.slots.called(runId);
        } catch (error) {
          console.error(`stepwise: run ${runId} was granted a slot but did not answer; it is called again`, error);
          this.slots.callFailed(runId, Date.now());
        }
      }),
      this.callShards(now),
    ]);
    await this.armAlarm(now);
  }

  /** Arms the alarm for the next thing due; an idle limiter still wakes once more, to delete itself. */
  private async armAlarm(now: number): Promise<void> {
    const state = this.shard.state;
    const spare =
      state !== undefined && this.slots.limit > this.slots.holding() ? state.lastUse + SPARE_LINGER_MS : undefined;
    const wakes = [this.slots.nextWake(), this.leases.nextCall(), spare].filter((at) => at !== undefined);
    const next = wakes.length > 0 ? Math.min(...wakes) : this.idle() ? now + IDLE_PRUNE_MS : undefined;
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }

  private idle(): boolean {
    return this.slots.idle() && this.leases.idle() && (this.shard.state === undefined || this.slots.limit === 0);
  }

  /**
   * Takes slots for a run's steps, as many as are free; the others wait and the run is called back
   * when one frees. Returns the steps that hold a slot.
   */
  async acquire(request: z.input<typeof requestSchema>): Promise<string[]> {
    const { runId, stepIds, key, limit, priorityMs, shard } = parseInput(requestSchema, request, "slot request");
    const now = Date.now();
    if (shard) {
      // A new shard (or one that deleted its idle storage) leases nothing yet.
      if (this.shard.state === undefined) this.slots.limit = 0;
      this.shard.reached(shard, limit, now);
    } else this.slots.limit = limit;
    // A raised limit or expired leases may free slots for others first: they are called back.
    const others = this.slots.grant(now, SLOT_LEASE_MS);
    const holds = () => stepIds.filter((stepId) => this.slots.holds({ runId, stepId }));
    let held = stepIds.filter((stepId) => this.slots.acquire({ runId, stepId, key, priorityMs }, now, SLOT_LEASE_MS));
    if (shard && held.length < stepIds.length && this.shard.mayAsk(this.slots)) {
      others.push(...(await this.balance()));
      held = holds();
    }
    // The run asking learns from the answer; it is owed no call.
    this.slots.called(runId);
    await this.after(others.filter((waiter) => waiter.runId !== runId));
    return held;
  }

  /** A run has ended (or was cancelled while queued): everything it holds or waits for is let go. */
  async releaseRun(runId: string): Promise<void> {
    const checked = parseInput(z.string(), runId, "run id");
    // A shard above its fair part grants nothing from what frees until it is down to that part,
    // and gives the freed slots back instead.
    const leased = this.slots.limit;
    const cap = this.shard.cap(this.slots);
    if (cap !== undefined) this.slots.limit = cap;
    const granted = this.slots.releaseRun(checked, Date.now(), SLOT_LEASE_MS);
    if (cap !== undefined) this.slots.limit = Math.max(this.slots.holding(), cap);
    this.slots.called(checked);
    if (this.slots.limit < leased || this.shard.shouldGive(this.slots)) granted.push(...(await this.balance()));
    await this.after(granted);
  }

  /** Holders and waiters (and, for a split limit's parent, what each shard leases), for the API and tests. */
  async describe(): Promise<{
    limit: number;
    holding: number;
    waiting: number;
    shards?: { child: number; leased: number; wanting: number }[];
  }> {
    const shards = this.leases.describe();
    const own = { limit: this.slots.limit, holding: this.slots.holding(), waiting: this.slots.waiting() };
    return shards.length > 0 ? { ...own, shards } : own;
  }

  // The parent's side of a split limit.

  /**
   * A shard reports what it holds (as of its `seq`) and wants: it is lent what is free, up to its
   * fair part while shards want more than the limit has. Calls it owes other shards are made by
   * the alarm, so the answer does not wait for them.
   */
  async lease(request: z.input<typeof leaseRequestSchema>): Promise<LeaseAnswer> {
    const { child, holds, seq, want, limit, parent, keyValue } = parseInput(leaseRequestSchema, request, "lease");
    const known = childrenSchema.optional().parse(this.ctx.storage.kv.get("children"));
    if (known === undefined || JSON.stringify(known) !== JSON.stringify({ parent, keyValue }))
      this.ctx.storage.kv.put("children", { parent, keyValue });
    this.slots.limit = limit;
    const answer = this.leases.exchange({ child, holds, seq, want }, limit, this.slots.holding());
    // Holders from before the limit was split count against it; their waiters may now get a slot.
    const now = Date.now();
    this.slots.owe(new Set(this.slots.grant(now, SLOT_LEASE_MS).map((waiter) => waiter.runId)), now);
    const due = Math.min(this.leases.nextCall() ?? Infinity, this.slots.nextWake() ?? Infinity);
    const armed = await this.ctx.storage.getAlarm();
    if (due <= now && (armed === null || armed > now)) await this.ctx.storage.setAlarm(now);
    else if (armed === null) await this.armAlarm(now);
    return answer;
  }

  /** Makes the calls owed to shards: each answers by exchanging with this limiter again. */
  private async callShards(now: number): Promise<void> {
    const calls = this.leases.dueCalls(now, CALLS_AT_ONCE);
    if (calls.length === 0) return;
    const children = childrenSchema.parse(this.ctx.storage.kv.get("children"));
    await Promise.all(
      calls.map(async (call) => {
        try {
          await concurrencyLimiter(this.env, children.parent, children.keyValue, call.child).shardCall(call.quota);
          this.leases.called(call);
        } catch (error) {
          console.error(`stepwise: limiter shard ${call.child} did not answer its parent; it is called again`, error);
          this.leases.callFailed(call.child, Date.now());
        }
      }),
    );
  }

  // A shard's side of a split limit.

  /** The parent calls: slots are free to ask for, or (with a quota) give back what is above it. */
  async shardCall(quota: number | null): Promise<void> {
    const checked = parseInput(z.number().int().min(0).nullable(), quota, "quota");
    const state = this.shard.state;
    if (!state) return;
    this.shard.save({ ...state, target: checked ?? state.target, asked: false });
    await this.after(await this.balance(true));
  }

  /**
   * One exchange with the parent, after any in progress: gives back what the plan does not keep,
   * asks for what it wants, and grants what it got to waiters (returned, to be called back).
   * `strict`: a failure is thrown (the parent's call is retried), not logged and retried here.
   */
  private balance(strict = false): Promise<SlotRequest[]> {
    const run = this.exchanging.then(() => this.exchange(false));
    this.exchanging = run.catch(() => undefined);
    if (strict) return run;
    return run.catch(async (error: unknown) => {
      console.error("stepwise: a limiter shard could not reach its parent; it tries again", error);
      await this.ctx.storage.setAlarm(Date.now() + EXCHANGE_RETRY_MS);
      return [];
    });
  }

  private async exchange(giveAll: boolean): Promise<SlotRequest[]> {
    const state = this.shard.state;
    if (!state) return [];
    const { keep, want } = this.shard.plan(this.slots, giveAll);
    const seq = state.seq + 1;
    // Given back before the parent hears of it: its record stays at or above what this shard holds.
    this.slots.limit = keep;
    this.shard.save({ ...state, seq });
    const parent = concurrencyLimiter(this.env, state.parent, state.keyValue);
    const answer = leaseAnswerSchema.parse(
      await parent.lease({
        child: state.index,
        holds: keep,
        seq,
        want,
        limit: state.limit,
        parent: state.parent,
        keyValue: state.keyValue,
      }),
    );
    this.slots.limit = this.slots.limit + answer.granted;
    const after = this.shard.state ?? state;
    this.shard.save({ ...after, target: answer.quota, asked: answer.granted < want });
    return this.slots.grant(Date.now(), SLOT_LEASE_MS);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const expired = this.slots.expire(now);
    if (expired.length > 0)
      console.warn(`stepwise: reclaimed ${expired.length} concurrency slot(s) whose lease expired`);
    this.slots.pruneKeys(now);
    const granted = this.slots.grant(now, SLOT_LEASE_MS);
    const state = this.shard.state;
    if (state !== undefined) {
      // Spare slots unused for a while go back; a shard with waiters and no pending ask asks again.
      const unused =
        this.slots.waiting() === 0 && this.slots.limit > this.slots.holding() && now - state.lastUse >= SPARE_LINGER_MS;
      const asking = this.slots.waiting() > 0 && this.shard.mayAsk(this.slots);
      if (unused || asking) {
        const run = this.exchanging.then(() => this.exchange(unused));
        this.exchanging = run.catch(() => undefined);
        granted.push(...(await run));
      }
    }
    if (this.idle()) {
      // Nothing held, waited for, lent, leased, owed or remembered: no storage until next used.
      this.slots.forget();
      this.leases.forget();
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.after(granted);
  }
}
