/**
 * The events' figures over every EventShard, summed: accepted ever, waiting to be routed, and
 * given up on. Read by the metrics and the alert checks; each shard's answer is checked.
 */
import { z } from "zod";
import type { Env } from "../env.ts";
import { eventShard } from "../objects.ts";
import { allShards } from "./shards.ts";

/** What one EventShard answers (`EventShard.figures()`). */
export const shardFiguresSchema = z.object({
  accepted: z.number().int().min(0),
  unrouted: z.number().int().min(0),
  abandoned: z.number().int().min(0),
});
export type EventFigures = z.infer<typeof shardFiguresSchema>;

/** Every shard's figures, added up. */
export async function eventFigures(env: Env): Promise<EventFigures> {
  const answers = await Promise.all(allShards(env).map((shard) => eventShard(env, shard).figures()));
  const total: EventFigures = { accepted: 0, unrouted: 0, abandoned: 0 };
  for (const answer of answers) {
    const figures = shardFiguresSchema.parse(answer);
    total.accepted += figures.accepted;
    total.unrouted += figures.unrouted;
    total.abandoned += figures.abandoned;
  }
  return total;
}
