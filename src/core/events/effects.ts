/**
 * The runs an event resumed (a wait took it) or cancelled (a `cancelOn` matched it) when it was
 * delivered to their WaitIndexes: the delivery answers them, and routing writes them with the
 * event's routed mark (no call of their own), so the event's page lists them beside the runs it
 * started. A wait that finds the event already there when it registers is not listed.
 */
import { z } from "zod";
import type { Env } from "../env.ts";
import { eventShard } from "../objects.ts";
import { eventShardCount, shardOfId } from "./shards.ts";

export const effectSchema = z.object({
  eventId: z.string(),
  runId: z.string(),
  kind: z.enum(["resumed", "cancelled"]),
});
/** A run an event resumed or cancelled. */
export type Effect = z.infer<typeof effectSchema>;

/** What a WaitIndex answers a delivery: how many waits resumed, and the runs each event resumed or cancelled. */
export interface Delivered {
  resumed: number;
  effects: Effect[];
}

/** A delivery's answer; a WaitIndex of an older release answers only the count. */
export const deliveredSchema = z.union([
  z.number().transform((resumed): Delivered => ({ resumed, effects: [] })),
  z.object({ resumed: z.number(), effects: z.array(effectSchema) }),
]);

/** The runs `eventId` resumed or cancelled, oldest first (at most 200). */
export async function eventEffects(env: Env, eventId: string): Promise<StoredEffect[]> {
  const answer = await eventShard(env, shardOfId(eventId, eventShardCount(env))).effects(eventId);
  return z.array(storedEffectSchema).parse(answer);
}

/** An effect as its EventShard keeps it, with when it was written. */
const storedEffectSchema = z.object({ runId: z.string(), kind: z.enum(["resumed", "cancelled"]), at: z.number() });
export type StoredEffect = z.infer<typeof storedEffectSchema>;
