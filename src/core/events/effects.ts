/**
 * The runs an event resumed (a wait took it) or cancelled (a `cancelOn` matched it), noted in the
 * EventShard its id names, so the event's page lists them beside the runs it started.
 */
import type { Env } from "../env.ts";
import { eventShard } from "../objects.ts";
import { eventShardCount, shardOfId } from "./shards.ts";

/** Notes that `eventId` resumed or cancelled `runId`; a failure is logged, never thrown (it is only for the page). */
export async function noteEventEffect(
  env: Env,
  eventId: string,
  runId: string,
  kind: "resumed" | "cancelled",
): Promise<void> {
  await eventShard(env, shardOfId(eventId, eventShardCount(env)))
    .noteEffect(eventId, runId, kind)
    .catch((error: unknown) =>
      console.error(`stepwise: could not note that event ${eventId} ${kind} run ${runId}`, error),
    );
}

/** The runs `eventId` resumed or cancelled, oldest first (at most 200). */
export async function eventEffects(env: Env, eventId: string) {
  return eventShard(env, shardOfId(eventId, eventShardCount(env))).effects(eventId);
}
