/**
 * Event data past the inline limit, for the run it starts: data over the event size limit (an
 * invocation's, an onFailure run's copy of a large event) is put in R2 under the run's prefix
 * before the run is started, and its event carries a claim (`{ key, bytes }`) with empty data, so
 * neither Workers RPC nor the run's history carries it. The run reads it back when it needs it
 * (payloads.ts in the RunObject).
 */
import type { RunEvent } from "../../../sdk/protocol.ts";
import type { Env } from "../env.ts";
import { maxEventBytes, MAX_REQUEST_BYTES } from "../events/limits.ts";
import { jsonBytes } from "../lib/json-size.ts";
import { payloadKey } from "./keys.ts";

/**
 * Largest data of a direct invocation: the request body limit where the PAYLOADS bucket keeps
 * what is past the event limit, else the event limit.
 */
export function maxInvokeDataBytes(env: Env): number {
  return env.PAYLOADS ? Math.max(MAX_REQUEST_BYTES, maxEventBytes(env)) : maxEventBytes(env);
}

/**
 * `event`, the `index`th of run `runId`, as the run keeps it: its data put in R2 when past the
 * event limit; data another run kept in R2 (a replay's, the failed run's of an onFailure run)
 * copied under this run's prefix, so each run's retention deletes only its own.
 */
export async function ownEventData(env: Env, runId: string, event: RunEvent, index: number): Promise<RunEvent> {
  const bucket = env.PAYLOADS;
  const key = payloadKey(runId, `events/${index}`);
  if (event.claim) {
    if (event.claim.key === key) return event;
    const source = await bucket?.get(event.claim.key);
    if (!bucket || !source) throw new Error(`The data of event ${event.id} is no longer in R2 (${event.claim.key})`);
    await bucket.put(key, await source.arrayBuffer(), { httpMetadata: { contentType: "application/json" } });
    return { ...event, claim: { key, bytes: event.claim.bytes } };
  }
  const bytes = jsonBytes(event.data);
  if (!bucket || bytes <= maxEventBytes(env)) return event;
  await bucket.put(key, JSON.stringify(event.data), { httpMetadata: { contentType: "application/json" } });
  return { ...event, data: {}, claim: { key, bytes } };
}
