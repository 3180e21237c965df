/**
 * FlowGate: one Durable Object per (function, mechanism, key value) deciding whether a new run
 * may start: throttle (it starts later), rate limit (it is skipped), singleton (it is skipped, or
 * the one running is cancelled). Each decision is one call, made once per run. A gate whose state
 * no longer matters (its rate is back to full, its singleton run has ended) deletes its storage.
 *
 * A busy rate is split (`gateShards` in src/core/objects.ts): each run asks the shard its id
 * hashes to, which admits from blocks the rate's own gate (the parent) lends it (gate-lease.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { isEnded } from "../../sdk/run-status.ts";
import { admit, type Rate } from "./gcra.ts";
import { flowGate, runObject } from "../../src/core/objects.ts";
import { GateLease } from "./gate-lease.ts";

const rateSchema = z.object({
  limit: z.number().int().min(1),
  periodMs: z.number().int().min(1),
  burst: z.number().int().min(0),
});
const modeSchema = z.enum(["wait", "skip"]);
/** Which shard of which split rate a request reaches (admission.ts names it). */
const gateShardSchema = z.object({
  index: z.number().int().min(0).max(63),
  of: z.number().int().min(2).max(64),
  functionId: z.string().min(1),
  kind: z.enum(["rateLimit", "throttle"]),
  keyValue: z.string(),
});
const lentSchema = z.union([
  z.object({ tokens: z.number().int().min(0), nextAt: z.number() }),
  z.object({ moments: z.array(z.number()).max(1_000) }),
]);
/** A shard's block: a tenth of a second of the rate, over the shards (at least one). */
const blockOf = (rate: Rate, shards: number): number =>
  Math.max(1, Math.min(1_000, Math.floor((rate.limit * 100) / rate.periodMs / shards)));

/** How often a singleton gate asks whether its run has ended, so as to forget it. */
const HOLDER_CHECK_MS = 60 * 60_000;

export class FlowGate extends DurableObject<Env> {
  private readonly lease = new GateLease(this.ctx.storage.kv);
  /** The singleton decision in progress: the next waits for it (see {@link singleton}). */
  private deciding: Promise<unknown> = Promise.resolve();

  /**
   * Admits a run under a rate: `wait` (throttle) gives the moment it may start; `skip` (rate
   * limit) says whether it may start now, and uses up nothing when it may not.
   */
  async rate(
    input: Rate,
    how: "wait" | "skip",
    shard?: z.input<typeof gateShardSchema>,
  ): Promise<{ at: number; admitted: boolean }> {
    const rate = parseInput(rateSchema, input, "rate");
    const mode = parseInput(modeSchema, how, "rate mode");
    if (shard !== undefined) return this.rateAsShard(rate, mode, parseInput(gateShardSchema, shard, "gate shard"));
    const now = Date.now();
    const admission = admit(rate, this.tat(), now);
    if (mode === "skip" && admission.at > now) return { at: admission.at, admitted: false };
    this.ctx.storage.kv.put("tat", admission.tat);
    // A time in the past admits as no time at all: the gate forgets it then (see alarm).
    await this.pruneBy(admission.tat);
    return { at: admission.at, admitted: true };
  }

  /** A shard's answer: from what its parent lent, asking the parent for a block when it has none. */
  private async rateAsShard(
    rate: Rate,
    mode: "wait" | "skip",
    shard: z.output<typeof gateShardSchema>,
  ): Promise<{ at: number; admitted: boolean }> {
    const local = this.lease.local(mode, Date.now());
    if (local !== "ask") return local;
    const parent = flowGate(this.env, shard.functionId, shard.kind, shard.keyValue);
    const lent = lentSchema.parse(await parent.lend(rate, mode, blockOf(rate, shard.of)));
    const now = Date.now();
    this.lease.lent(lent, now);
    await this.pruneBy(this.lease.lapsesAt());
    const decided = this.lease.local(mode, now);
    if (decided !== "ask") return decided;
    // Only when other candidates here spent the block meanwhile: this one goes by the parent's word.
    return "nextAt" in lent ? { at: lent.nextAt, admitted: false } : { at: now, admitted: true };
  }

  /**
   * The parent of a split rate lends a shard up to `count`: tokens it admits now (and when the
   * next would come), or the next `count` admission moments of its sequence.
   */
  async lend(
    input: Rate,
    how: "wait" | "skip",
    count: number,
  ): Promise<{ tokens: number; nextAt: number } | { moments: number[] }> {
    const rate = parseInput(rateSchema, input, "rate");
    const mode = parseInput(modeSchema, how, "rate mode");
    const want = parseInput(z.number().int().min(1).max(1_000), count, "block");
    const now = Date.now();
    let tat = this.tat();
    const moments: number[] = [];
    for (let i = 0; i < want; i++) {
      const admission = admit(rate, tat, now);
      if (mode === "skip" && admission.at > now) break;
      moments.push(admission.at);
      tat = admission.tat;
    }
    if (tat !== undefined) {
      this.ctx.storage.kv.put("tat", tat);
      await this.pruneBy(tat);
    }
    return mode === "skip" ? { tokens: moments.length, nextAt: admit(rate, tat, now).at } : { moments };
  }

  private tat(): number | undefined {
    return z.number().optional().parse(this.ctx.storage.kv.get("tat"));
  }

  private holder(): string | undefined {
    return z.string().optional().parse(this.ctx.storage.kv.get("holder"));
  }

  /** Makes sure the alarm comes by `at` to see whether the gate's state still matters. */
  private async pruneBy(at: number): Promise<void> {
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null || armed > at) await this.ctx.storage.setAlarm(at);
  }

  /** Whether the run is over (or gone): a singleton holder that ended holds nothing. */
  private async ended(runId: string): Promise<boolean> {
    const status = (await runObject(this.env, runId).getStatus())?.status;
    return status === undefined || isEnded(status);
  }

  /**
   * Deletes the gate's storage once nothing in it matters (the rate is back to full, the singleton
   * run has ended), or comes back when it may. Takes its turn with singleton decisions, so none
   * is in progress while it reads the holder.
   */
  override async alarm(): Promise<void> {
    const pruned = this.deciding.then(async () => {
      const holder = this.holder();
      const holding = holder !== undefined && !(await this.ended(holder));
      // Read after the await above: a rate decision may have come in meanwhile.
      const now = Date.now();
      const tat = this.tat();
      const next = Math.min(
        tat !== undefined && tat > now ? tat : Infinity,
        holding ? now + HOLDER_CHECK_MS : Infinity,
        // A shard keeps what its parent lent until it lapses.
        this.lease.spent(now) ? Infinity : this.lease.lapsesAt(),
      );
      if (next !== Infinity) return this.ctx.storage.setAlarm(next);
      await this.ctx.storage.deleteAll();
    });
    this.deciding = pruned.catch(() => undefined);
    await pruned;
  }

  /**
   * Singleton: `runId` becomes the key's one run, unless another still runs; then `skip` refuses
   * the new run and `cancel` cancels the old one in its favour.
   */
  async singleton(run: string, how: "skip" | "cancel"): Promise<{ admitted: boolean; cancelled?: string }> {
    const runId = parseInput(z.string().min(1), run, "run id");
    const mode = parseInput(z.enum(["skip", "cancel"]), how, "singleton mode");
    // Asking the holder's status is an RPC, during which the object takes other calls: without
    // taking turns, two new runs could both find the old one ended and both be admitted.
    const decision = this.deciding.then(() => this.decideSingleton(runId, mode));
    this.deciding = decision.catch(() => undefined);
    return decision;
  }

  private async decideSingleton(
    runId: string,
    mode: "skip" | "cancel",
  ): Promise<{ admitted: boolean; cancelled?: string }> {
    const holder = this.holder();
    const running = holder !== undefined && holder !== runId && !(await this.ended(holder));
    if (running && mode === "skip") return { admitted: false };
    if (running) await runObject(this.env, holder).cancel(`cancelled by a newer run (singleton): ${runId}`);
    this.ctx.storage.kv.put("holder", runId);
    await this.pruneBy(Date.now() + HOLDER_CHECK_MS);
    return running ? { admitted: true, cancelled: holder } : { admitted: true };
  }
}
