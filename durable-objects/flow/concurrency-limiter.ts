/**
 * ConcurrencyLimiter: one Durable Object per (function or scope, limit, key value), holding that
 * limit's slots. A RunObject asks for a slot before a step executes and gives it back after; a
 * step that must wait is remembered, and when a slot frees the limiter calls the run back. Slots
 * are leases, reclaimed by the alarm if a run dies holding one.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/env.ts";
import { parseInput } from "../../src/lib/parse.ts";
import { acquire, expire, grant, release, releaseRun, type SlotState, type SlotWaiter } from "./slots.ts";

/** How long a slot is held without being renewed. A step running longer than this may lose it. */
export const SLOT_LEASE_MS = 5 * 60_000;

const stateSchema = z.object({
  limit: z.number().int().min(1),
  holders: z.array(z.object({ runId: z.string(), stepId: z.string(), expiresAt: z.number() })),
  waiters: z.array(z.object({ runId: z.string(), stepId: z.string(), key: z.string(), enqueuedAt: z.number(), priorityMs: z.number().optional() })),
  lastServed: z.record(z.string(), z.number()),
});
const requestSchema = z.object({
  runId: z.string(),
  stepIds: z.array(z.string()).min(1).max(1_000),
  key: z.string(),
  limit: z.number().int().min(1).max(10_000),
  priorityMs: z.number().min(-600_000).max(600_000).optional(),
});

export class ConcurrencyLimiter extends DurableObject<Env> {
  private async load(limit?: number): Promise<SlotState> {
    const stored = await this.ctx.storage.get("slots");
    const state: SlotState = stored === undefined ? { limit: limit ?? 1, holders: [], waiters: [], lastServed: {} } : stateSchema.parse(stored);
    if (limit !== undefined) state.limit = limit;
    return state;
  }

  private async save(state: SlotState, granted: SlotWaiter[]): Promise<void> {
    await this.ctx.storage.put("slots", state);
    const nextExpiry = Math.min(...state.holders.map((holder) => holder.expiresAt));
    if (Number.isFinite(nextExpiry)) await this.ctx.storage.setAlarm(nextExpiry);
    else await this.ctx.storage.deleteAlarm();
    // Runs that got a slot while waiting are told to go on; one that does not answer loses it at lease end.
    await Promise.all(
      granted.map((waiter) =>
        this.env.RUN.get(this.env.RUN.idFromName(waiter.runId))
          .slotGranted()
          .catch((error: unknown) => console.error(`stepwise: run ${waiter.runId} was granted a slot but did not answer`, error)),
      ),
    );
  }

  /**
   * Takes slots for a run's steps, as many as are free; the others wait and the run is called back
   * when one frees. Returns the steps that hold a slot.
   */
  async acquire(request: z.input<typeof requestSchema>): Promise<string[]> {
    const { runId, stepIds, key, limit, priorityMs } = parseInput(requestSchema, request, "slot request");
    const state = await this.load(limit);
    const now = Date.now();
    const before = new Set(state.holders.map((holder) => `${holder.runId}\u0000${holder.stepId}`));
    const held = stepIds.filter((stepId) => acquire(state, { runId, stepId, key, priorityMs }, now, SLOT_LEASE_MS));
    // Other runs may have been granted too (a raised limit, expired leases): call them back.
    const others = state.holders
      .filter((holder) => holder.runId !== runId && !before.has(`${holder.runId}\u0000${holder.stepId}`))
      .map((holder) => ({ ...holder, key: "", enqueuedAt: now }));
    await this.save(state, others);
    return held;
  }

  /** Gives a step's slot back (or stops its waiting). */
  async release(who: { runId: string; stepId: string }): Promise<void> {
    const state = await this.load();
    const granted = release(state, who, Date.now(), SLOT_LEASE_MS);
    await this.save(state, granted);
  }

  /** A run has ended (or was cancelled while queued): everything it holds or waits for is let go. */
  async releaseRun(runId: string): Promise<void> {
    const state = await this.load();
    const granted = releaseRun(state, runId, Date.now(), SLOT_LEASE_MS);
    await this.save(state, granted);
  }

  /** Holders and waiters, for the API and tests. */
  async describe(): Promise<{ limit: number; holding: number; waiting: number }> {
    const state = await this.load();
    return { limit: state.limit, holding: state.holders.length, waiting: state.waiters.length };
  }

  override async alarm(): Promise<void> {
    const state = await this.load();
    const now = Date.now();
    const expired = expire(state, now);
    if (expired.length > 0) console.warn(`stepwise: reclaimed ${expired.length} concurrency slot(s) whose lease expired`);
    await this.save(state, grant(state, now, SLOT_LEASE_MS));
  }
}
