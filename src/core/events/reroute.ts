/**
 * Routing an event again: one that is still unrouted (its routing failed, and its shard's sweep
 * may have given up on it after MAX_SWEEPS tries) goes back on the queue, and the sweep watches
 * it again. Routing is idempotent, so this never starts a run twice.
 */
import { z } from "zod";
import { eventShard } from "../objects.ts";
import type { Env } from "../env.ts";
import { shardHolding } from "./store.ts";

const outcomeSchema = z.enum(["requeued", "not_found", "already_routed"]);

/** Re-queues event `id` for routing, or says why not. */
export async function rerouteEvent(env: Env, id: string): Promise<z.infer<typeof outcomeSchema>> {
  const shard = await shardHolding(env, id);
  if (shard === undefined) return "not_found";
  return outcomeSchema.parse(await eventShard(env, shard).reroute(id));
}
