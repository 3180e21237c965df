/**
 * Invoking a function directly (HTTP and RPC): one run, started now, whose event is
 * `stepwise/function.invoked` carrying the given data (in R2 past the event size limit).
 */
import { INVOKED_EVENT } from "../../../sdk/system-events.ts";
import type { Env } from "../env.ts";
import { newId } from "../lib/ids.ts";
import { startRun } from "./start.ts";

/** Starts a run of `functionId` (which the caller has checked exists; at `startAt`, when given) and returns its id. */
export async function invokeFunction(
  env: Env,
  functionId: string,
  data: Record<string, unknown>,
  tags: string[] = [],
  startAt?: number,
): Promise<string> {
  const runId = newId();
  const event = { id: newId(), name: INVOKED_EVENT, data, ts: Date.now() };
  const when = startAt !== undefined ? { startAt } : {};
  await startRun(env, { runId, functionId, events: [event], ...(tags.length > 0 ? { tags } : {}), ...when });
  return runId;
}
