/**
 * Routing an event again: one that is still unrouted (its routing failed, and the sweeper may
 * have given up on it after MAX_SWEEPS tries) goes back on the queue, and the sweeper watches
 * it again. Routing is idempotent, so this never starts a run twice.
 */
import { eventSweeper } from "../objects.ts";
import { getEvent, resetRouting } from "../db/events.ts";
import type { Env } from "../env.ts";
import { enqueueEvents } from "./enqueue.ts";

/** Re-queues event `id` for routing, or says why not. */
export async function rerouteEvent(env: Env, id: string): Promise<"requeued" | "not_found" | "already_routed"> {
  const event = await getEvent(env.DB, id).catch(() => null);
  if (!event && !(await resetRouting(env.DB, id))) return "not_found";
  if (event?.routedAt !== undefined) return "already_routed";
  if (event) await resetRouting(env.DB, id);
  await eventSweeper(env).arm();
  await enqueueEvents(env.EVENTS, [id]);
  return "requeued";
}
