/**
 * A limiter shard's side of a split limit (lease-table.ts is the parent's): what it leases, the
 * sequence number of its reports, its fair part while the parent is short, and what to give back
 * or ask for next. The slots it leases are its SlotTable's limit, so it grants from them with the
 * same fair, synchronous SQL as an unsplit limiter.
 */
import { z } from "zod";
import { leaseBlock } from "./lease-table.ts";
import type { SlotTable } from "./slot-table.ts";

export const namedLimitSchema = z.discriminatedUnion("scope", [
  z.object({ scope: z.literal("env"), key: z.string() }),
  z.object({ scope: z.literal("fn"), functionId: z.string().min(1), index: z.number().int().min(0) }),
]);

/** Which shard of which limiter a request reaches (slot-ports.ts names it). */
export const shardSchema = z.object({
  index: z.number().int().min(0).max(63),
  of: z.number().int().min(2).max(64),
  parent: namedLimitSchema,
  keyValue: z.string(),
});
export type ShardOf = z.output<typeof shardSchema>;

const stateSchema = shardSchema.extend({
  /** The whole limit, as the last request named it. */
  limit: z.number().int().min(1),
  seq: z.number().int().min(0),
  /** The fair part the parent gave while short; null when it is not. */
  target: z.number().int().min(0).nullable(),
  /** Told the parent it wants slots and was not given them all: it calls when it has some. */
  asked: z.boolean(),
  lastUse: z.number(),
});
export type ShardState = z.output<typeof stateSchema>;

/** What one exchange with the parent says: the slots kept (the rest go back), and how many more are wanted. */
export interface ExchangePlan {
  keep: number;
  want: number;
}

/** How long spare leased slots stay in an unused shard before they go back to the parent. */
export const SPARE_LINGER_MS = 10_000;

export class ShardLease {
  constructor(private readonly kv: SyncKvStorage) {}

  /** The shard's state, or undefined in a limiter that is not a shard. */
  get state(): ShardState | undefined {
    return stateSchema.optional().parse(this.kv.get("shard"));
  }

  save(state: ShardState): void {
    this.kv.put("shard", state);
  }

  /** A request reached the shard: it learns (or relearns) what it is a shard of. */
  reached(shard: ShardOf, limit: number, now: number): ShardState {
    const known = this.state;
    // A changed limit may free slots the parent has not called about, and changes every fair
    // part: the shard asks again, and learns its part from the answer.
    const same = known !== undefined && known.limit === limit;
    const state = {
      seq: 0,
      ...known,
      ...shard,
      asked: same && known.asked,
      target: same ? known.target : null,
      limit,
      lastUse: now,
    };
    this.save(state);
    return state;
  }

  /** Whether asking the parent for more can help now: not while an ask is pending or at its fair part. */
  mayAsk(slots: SlotTable): boolean {
    const state = this.state;
    return state !== undefined && !state.asked && (state.target === null || slots.limit < state.target);
  }

  /** The shard's fair part when it leases more than that (the parent is short), else undefined. */
  cap(slots: SlotTable): number | undefined {
    const target = this.state?.target;
    return target !== undefined && target !== null && slots.limit > target ? target : undefined;
  }

  /**
   * Whether a release left the shard with slots it should give back now rather than at its alarm:
   * while the parent is short, what no waiter here uses (or what is above its fair part);
   * otherwise what is more than two blocks spare with nobody waiting.
   */
  shouldGive(slots: SlotTable): boolean {
    const state = this.state;
    if (!state) return false;
    const spare = slots.limit - slots.holding();
    if (spare <= 0) return false;
    const waiting = slots.waiting();
    if (state.target !== null) return waiting === 0 || slots.limit > state.target;
    return waiting === 0 && spare >= 2 * leaseBlock(state.limit, state.of);
  }

  /**
   * What to keep and ask for. While the parent is short: with waiters, up to the fair part (what
   * is held above it is kept until released); with none, only what is held. Otherwise: with
   * nobody waiting, a block spare (none when `giveAll`). With waiters it asks for at least a
   * block more (the parent lends no more than the fair part).
   */
  plan(slots: SlotTable, giveAll: boolean): ExchangePlan {
    const state = this.state;
    if (!state) return { keep: slots.limit, want: 0 };
    const leased = slots.limit;
    const holding = slots.holding();
    const waiting = slots.waiting();
    const block = leaseBlock(state.limit, state.of);
    let keep = leased;
    if (state.target !== null)
      keep = waiting > 0 ? Math.min(leased, Math.max(holding, state.target)) : Math.min(leased, holding);
    else if (waiting === 0 && giveAll) keep = holding;
    else if (waiting === 0 && leased - holding >= 2 * block) keep = holding + block;
    // Wanting is said even above the fair part: the parent counts it when it shares the limit out.
    const want = waiting > 0 ? Math.min(Math.max(block, waiting), state.limit) : 0;
    return { keep, want };
  }
}
