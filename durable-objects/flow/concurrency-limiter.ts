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
import { SlotTable, type SlotRequest } from "./slot-table.ts";

/** How long a slot is held without being renewed. A step running longer than this may lose it. */
export const SLOT_LEASE_MS = 5 * 60_000;

const requestSchema = z.object({
  runId: z.string(),
  stepIds: z.array(z.string()).min(1).max(1_000),
  key: z.string(),
  limit: z.number().int().min(1).max(10_000),
  priorityMs: z.number().min(-600_000).max(600_000).optional(),
});
const whoSchema = z.object({ runId: z.string(), stepId: z.string() });

export class ConcurrencyLimiter extends DurableObject<Env> {
  private readonly slots: SlotTable;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.slots = new SlotTable(ctx.storage.sql);
  }

  /** Arms the alarm for the next lease end, and calls back the runs that got a slot while waiting. */
  private async after(granted: SlotRequest[]): Promise<void> {
    const nextExpiry = this.slots.nextExpiry();
    if (nextExpiry !== undefined) await this.ctx.storage.setAlarm(nextExpiry);
    else await this.ctx.storage.deleteAlarm();
    // One call per run, however many of its steps got a slot. One that does not answer loses its
    // slots at lease end.
    await Promise.all(
      [...new Set(granted.map((waiter) => waiter.runId))].map((runId) =>
        this.env.RUN.get(this.env.RUN.idFromName(runId))
          .slotGranted()
          .catch((error: unknown) => console.error(`stepwise: run ${runId} was granted a slot but did not answer`, error)),
      ),
    );
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
    await this.after(others.filter((waiter) => waiter.runId !== runId));
    return held;
  }

  /** Gives a step's slot back (or stops its waiting). */
  async release(who: { runId: string; stepId: string }): Promise<void> {
    const checked = parseInput(whoSchema, who, "slot holder");
    await this.after(this.slots.release(checked, Date.now(), SLOT_LEASE_MS));
  }

  /** A run has ended (or was cancelled while queued): everything it holds or waits for is let go. */
  async releaseRun(runId: string): Promise<void> {
    await this.after(this.slots.releaseRun(parseInput(z.string(), runId, "run id"), Date.now(), SLOT_LEASE_MS));
  }

  /** Holders and waiters, for the API and tests. */
  async describe(): Promise<{ limit: number; holding: number; waiting: number }> {
    return { limit: this.slots.limit, holding: this.slots.holding(), waiting: this.slots.waiting() };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const expired = this.slots.expire(now);
    if (expired.length > 0) console.warn(`stepwise: reclaimed ${expired.length} concurrency slot(s) whose lease expired`);
    this.slots.pruneKeys(now);
    await this.after(this.slots.grant(now, SLOT_LEASE_MS));
  }
}
