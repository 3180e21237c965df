/**
 * FlowGate: one Durable Object per (function, mechanism, key value) deciding whether a new run
 * may start: throttle (it starts later), rate limit (it is skipped), singleton (it is skipped, or
 * the one running is cancelled). Each decision is one call, made once per run.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/env.ts";
import { isEnded } from "../../sdk/run-status.ts";
import { admit, type Rate } from "./gcra.ts";

const rateSchema = z.object({ limit: z.number().int().min(1), periodMs: z.number().int().min(1), burst: z.number().int().min(0) });

export class FlowGate extends DurableObject<Env> {
  /** The singleton decision in progress: the next waits for it (see {@link singleton}). */
  private deciding: Promise<unknown> = Promise.resolve();

  /**
   * Admits a run under a rate: `wait` (throttle) gives the moment it may start; `skip` (rate
   * limit) says whether it may start now, and uses up nothing when it may not.
   */
  async rate(input: Rate, mode: "wait" | "skip"): Promise<{ at: number; admitted: boolean }> {
    const rate = rateSchema.parse(input);
    const now = Date.now();
    const tat = z.number().optional().parse(await this.ctx.storage.get("tat"));
    const admission = admit(rate, tat, now);
    if (mode === "skip" && admission.at > now) return { at: admission.at, admitted: false };
    await this.ctx.storage.put("tat", admission.tat);
    return { at: admission.at, admitted: true };
  }

  /**
   * Singleton: `runId` becomes the key's one run, unless another still runs; then `skip` refuses
   * the new run and `cancel` cancels the old one in its favour.
   */
  async singleton(runId: string, mode: "skip" | "cancel"): Promise<{ admitted: boolean; cancelled?: string }> {
    // Asking the holder's status is an RPC, during which the object takes other calls: without
    // taking turns, two new runs could both find the old one ended and both be admitted.
    const decision = this.deciding.then(() => this.decideSingleton(runId, mode));
    this.deciding = decision.catch(() => undefined);
    return decision;
  }

  private async decideSingleton(runId: string, mode: "skip" | "cancel"): Promise<{ admitted: boolean; cancelled?: string }> {
    const holder = z.string().optional().parse(await this.ctx.storage.get("holder"));
    if (holder && holder !== runId) {
      const stub = this.env.RUN.get(this.env.RUN.idFromName(holder));
      const status = (await stub.getStatus())?.status;
      const running = status !== undefined && !isEnded(status);
      if (running && mode === "skip") return { admitted: false };
      if (running) await stub.cancel(`cancelled by a newer run (singleton): ${runId}`);
      await this.ctx.storage.put("holder", runId);
      return running ? { admitted: true, cancelled: holder } : { admitted: true };
    }
    await this.ctx.storage.put("holder", runId);
    return { admitted: true };
  }
}
