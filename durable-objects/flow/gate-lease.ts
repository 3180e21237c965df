/**
 * A FlowGate shard's side of a split rate (`gateShards` in src/core/objects.ts): it admits from a
 * block its parent gate lent it, so a busy function's throttle or rate limit is not one object
 * called per candidate run.
 *
 * - Rate limit (`skip`): the parent lends tokens it admitted now; the shard spends them within
 *   {@link TOKEN_TTL_MS} (unspent ones lapse: capacity lost, never exceeded) and, when the parent
 *   had none, refuses locally until the moment the parent said the next one comes. So refused
 *   candidates, the bulk under a low limit, cost the parent nothing.
 * - Throttle (`wait`): the parent lends the next admission moments of its sequence; the shard
 *   gives them out in order, each at most once and never early; one passed by more than
 *   {@link MOMENT_GRACE_MS} lapses (capacity lost, never exceeded).
 */
import { z } from "zod";

/** How long lent tokens may be spent: a run admitted with one starts at most this late against the parent's count. */
export const TOKEN_TTL_MS = 1_000;
/** A lent moment still given out this long after it passed (the run starts at once); older ones lapse. */
export const MOMENT_GRACE_MS = 1_000;

const leaseSchema = z.object({
  tokens: z.number().int().min(0),
  validUntil: z.number(),
  refusedUntil: z.number(),
  moments: z.array(z.number()).max(10_000),
});
type Lent = z.output<typeof leaseSchema>;
const EMPTY: Lent = { tokens: 0, validUntil: 0, refusedUntil: 0, moments: [] };

/** What a shard decided without its parent, or that it must ask. */
export type LocalAnswer = { at: number; admitted: boolean } | "ask";

export class GateLease {
  constructor(private readonly kv: SyncKvStorage) {}

  private get lease(): Lent {
    return leaseSchema.optional().parse(this.kv.get("lease")) ?? EMPTY;
  }

  private set lease(value: Lent) {
    this.kv.put("lease", value);
  }

  /** Admits from what is lent (or refuses while the parent has nothing), or says to ask the parent. */
  local(how: "wait" | "skip", now: number): LocalAnswer {
    const lease = this.lease;
    if (how === "skip") {
      if (lease.tokens > 0 && now <= lease.validUntil) {
        this.lease = { ...lease, tokens: lease.tokens - 1 };
        return { at: now, admitted: true };
      }
      return now < lease.refusedUntil ? { at: lease.refusedUntil, admitted: false } : "ask";
    }
    const moments = lease.moments.filter((at) => at >= now - MOMENT_GRACE_MS);
    const [next, ...rest] = moments;
    if (next === undefined) {
      if (lease.moments.length > 0) this.lease = { ...lease, moments: [] };
      return "ask";
    }
    this.lease = { ...lease, moments: rest };
    return { at: next, admitted: true };
  }

  /** Takes what the parent lent (tokens, or the moment its next token comes; or moments to give out). */
  lent(answer: { tokens: number; nextAt: number } | { moments: number[] }, now: number): void {
    const lease = this.lease;
    if ("moments" in answer) {
      this.lease = {
        ...lease,
        moments: [...lease.moments.filter((at) => at >= now), ...answer.moments].sort((a, b) => a - b),
      };
      return;
    }
    const live = now <= lease.validUntil ? lease.tokens : 0;
    this.lease = {
      ...lease,
      tokens: live + answer.tokens,
      validUntil: now + TOKEN_TTL_MS,
      refusedUntil: answer.tokens > 0 ? 0 : answer.nextAt,
    };
  }

  /** Whether nothing lent is left that could still be used (so the shard may delete its storage). */
  spent(now: number): boolean {
    const lease = this.lease;
    return (
      (lease.tokens === 0 || now > lease.validUntil) &&
      now >= lease.refusedUntil &&
      lease.moments.every((at) => at < now - MOMENT_GRACE_MS)
    );
  }

  /** When what is lent lapses at the latest. */
  lapsesAt(): number {
    const lease = this.lease;
    return Math.max(lease.validUntil, lease.refusedUntil, ...lease.moments.map((at) => at + MOMENT_GRACE_MS));
  }
}
