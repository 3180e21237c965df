/**
 * ConcurrencyLimiter: one Durable Object per (function or scope, limit, key value), holding that
 * limit's slots. A RunObject asks for a slot before a step executes and gives it back after; a
 * step that must wait is remembered, and when a slot frees the limiter calls the run back (until
 * the call goes through). Slots are leases, reclaimed by the alarm if a run dies holding one. A
 * limiter left idle deletes its storage (see {@link ConcurrencyLimiter.alarm}).
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { SlotTable, type SlotRequest } from "./slot-table.ts";
import { runObject } from "../../src/core/objects.ts";

/** How long a slot is held without being renewed. A step running longer than this may lose it. */
const SLOT_LEASE_MS = 5 * 60_000;
/** Runs called back at once, at most; the others are called as the alarm comes round again. */
const CALLS_AT_ONCE = 100;
/** An idle limiter deletes its storage this long after its last use. */
const IDLE_PRUNE_MS = 60_000;

const requestSchema = z.object({
  runId: z.string(),
  stepIds: z.array(z.string()).min(1).max(1_000),
  key: z.string(),
  limit: z.number().int().min(1).max(10_000),
  priorityMs: z.number().min(-600_000).max(600_000).optional(),
});

export class ConcurrencyLimiter extends DurableObject<Env> {
  private readonly slots: SlotTable;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.slots = new SlotTable(ctx.storage.sql);
  }

  /**
   * Calls back the runs granted a slot while waiting (one call per run, however many of its lanes
   * got one), then arms the alarm for the next lease end or call to try again. A run that does not
   * answer is called again (5 s doubling to a minute) until it does or its lease ends.
   */
  private async after(granted: SlotRequest[]): Promise<void> {
    const now = Date.now();
    this.slots.owe(new Set(granted.map((waiter) => waiter.runId)), now);
    const due = this.slots.dueCalls(now, CALLS_AT_ONCE);
    await Promise.all(
      due.map(async (runId) => {
        try {
          await runObject(this.env, runId).slotGranted();
          this.slots.called(runId);
        } catch (error) {
          console.error(`stepwise: run ${runId} was granted a slot but did not answer; it is called again`, error);
          this.slots.callFailed(runId, Date.now());
        }
      }),
    );
    // An idle limiter still wakes once more, to delete itself.
    const next = this.slots.nextWake() ?? (this.slots.idle() ? now + IDLE_PRUNE_MS : undefined);
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }

  /**
   * Takes slots for a run's steps, as many as are free; the others wait and the run is called back
   * when one frees. Returns the steps that hold a slot.
   */
  async acquire(request: z.input<typeof requestSchema>): Promise<string[]> {
    const { runId, stepIds, key, limit, priorityMs } = parseInput(requestSchema, request, "slot request");
    this.slots.limit = limit;
    const now = Date.now();
    // A raised limit or expired leases may free slots for others first: they are called back.
    const others = this.slots.grant(now, SLOT_LEASE_MS);
    const held = stepIds.filter((stepId) => this.slots.acquire({ runId, stepId, key, priorityMs }, now, SLOT_LEASE_MS));
    // The run asking learns from the answer; it is owed no call.
    this.slots.called(runId);
    await this.after(others.filter((waiter) => waiter.runId !== runId));
    return held;
  }

  /** A run has ended (or was cancelled while queued): everything it holds or waits for is let go. */
  async releaseRun(runId: string): Promise<void> {
    const checked = parseInput(z.string(), runId, "run id");
    const granted = this.slots.releaseRun(checked, Date.now(), SLOT_LEASE_MS);
    this.slots.called(checked);
    await this.after(granted);
  }

  /** Holders and waiters, for the API and tests. */
  async describe(): Promise<{ limit: number; holding: number; waiting: number }> {
    return { limit: this.slots.limit, holding: this.slots.holding(), waiting: this.slots.waiting() };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const expired = this.slots.expire(now);
    if (expired.length > 0)
      console.warn(`stepwise: reclaimed ${expired.length} concurrency slot(s) whose lease expired`);
    this.slots.pruneKeys(now);
    if (this.slots.idle()) {
      // Nothing held, waited for, owed or remembered: the object keeps no storage until next used.
      this.slots.forget();
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.after(this.slots.grant(now, SLOT_LEASE_MS));
  }
}
