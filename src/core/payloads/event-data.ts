/**
 * Event data past the inline limit, for the run it starts: data over the event size limit (an
 * invocation's, an onFailure run's copy of a large event) is put in R2 under the run's prefix
 * before the run is started, and its event carries a claim (`{ key, bytes }`) with empty data, so
 * neither Workers RPC nor the run's history carries it. The run reads it back when it needs it
 * (payloads.ts in the RunObject).
 */
import { z } from "zod";
import type { Claim, RunEvent } from "../../../sdk/protocol.ts";
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
  if (event.claim) return { ...event, data: {}, claim: await copyClaim(bucket, event.claim, key) };
  const bytes = jsonBytes(event.data);
  if (!bucket || bytes <= maxEventBytes(env)) return event;
  await bucket.put(key, JSON.stringify(event.data), { httpMetadata: { contentType: "application/json" } });
  return { ...event, data: {}, claim: { key, bytes } };
}

/** Where an accepted event's data past the event limit is kept (until its EventShard prunes it). */
export const eventDataKey = (eventId: string): string => `events/${encodeURIComponent(eventId)}`;

/**
 * Events as their EventShard records them: the data of each past the event limit put in R2, the
 * event keeping a claim and empty data (the doors allowed that size only with the bucket bound).
 */
export async function offloadEvents<E extends { id: string; data: Record<string, unknown> }>(
  env: Env,
  events: E[],
): Promise<(E & { claim?: Claim })[]> {
  const limit = maxEventBytes(env);
  const bucket = env.PAYLOADS;
  if (!bucket) return events;
  return Promise.all(
    events.map(async (event) => {
      if (jsonBytes(event) <= limit) return event;
      const key = eventDataKey(event.id);
      const text = JSON.stringify(event.data);
      await bucket.put(key, text, { httpMetadata: { contentType: "application/json" } });
      return { ...event, data: {}, claim: { key, bytes: new TextEncoder().encode(text).byteLength } };
    }),
  );
}

/** `events` with the data each keeps in R2 read back (claims kept): what routing matches against. */
export async function withEventData<E extends { data: Record<string, unknown>; claim?: Claim | undefined }>(
  env: Env,
  events: E[],
): Promise<E[]> {
  if (!events.some((event) => event.claim)) return events;
  return Promise.all(
    events.map(async (event) => {
      if (!event.claim) return event;
      const object = await env.PAYLOADS?.get(event.claim.key);
      if (!object) throw new Error(`The data of an event is no longer in R2 (${event.claim.key})`);
      return { ...event, data: z.record(z.string(), z.unknown()).parse(await object.json()) };
    }),
  );
}

/**
 * `claim`'s value copied to `key` (a no-op when it is there already), so a run keeps its own copy
 * of what another run or an event kept in R2, and each one's retention deletes only its own.
 */
export async function copyClaim(bucket: R2Bucket | undefined, claim: Claim, key: string): Promise<Claim> {
  if (claim.key === key) return claim;
  const source = await bucket?.get(claim.key);
  if (!bucket || !source) throw new Error(`A value kept in R2 is no longer there (${claim.key})`);
  await bucket.put(key, await source.arrayBuffer(), { httpMetadata: { contentType: "application/json" } });
  return { key, bytes: claim.bytes };
}
