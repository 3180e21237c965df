/**
 * FlowGate: one Durable Object per (function, mechanism, key value) deciding whether a new run
 * may start: throttle (it starts later), rate limit (it is skipped), singleton (it is skipped, or
 * the one running is cancelled). Each decision is one call, made once per run. A gate whose state
 * no longer matters (its rate is back to full, its singleton run has ended) deletes its storage.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { isEnded } from "../../sdk/run-status.ts";
import { admit, type Rate } from "./gcra.ts";
import { runObject } from "../../src/core/objects.ts";

const rateSchema = z.object({
  limit: z.number().int().min(1),
  periodMs: z.number().int().min(1),
  burst: z.number().int().min(0),
});
const modeSchema = z.enum(["wait", "skip"]);

/** How often a singleton gate asks whether its run has ended, so as to forget it. */
const HOLDER_CHECK_MS = 60 * 60_000;

export class FlowGate extends DurableObject<Env> {
  /** The singleton decision in progress: the next waits for it (see {@link singleton}). */
  private deciding: Promise<unknown> = Promise.resolve();

  /**
   * Admits a run under a rate: `wait` (throttle) gives the moment it may start; `skip` (rate
   * limit) says whether it may start now, and uses up nothing when it may not.
   */
  async rate(input: Rate, how: "wait" | "skip"): Promise<{ at: number; admitted: boolean }> {
    const rate = parseInput(rateSchema, input, "rate");
    const mode = parseInput(modeSchema, how, "rate mode");
    const now = Date.now();
    const admission = admit(rate, this.tat(), now);
    if (mode === "skip" && admission.at > now) return { at: admission.at, admitted: false };
    this.ctx.storage.kv.put("tat", admission.tat);
    // A time in the past admits as no time at all: the gate forgets it then (see alarm).
    await this.pruneBy(admission.tat);
    return { at: admission.at, admitted: true };
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
