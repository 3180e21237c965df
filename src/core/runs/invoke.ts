/**
 * Invoking a function directly (HTTP and RPC): one run, started now, whose event is
 * `stepwise/function.invoked` carrying the given data.
 */
import type { Env } from "../env.ts";
import { newId } from "../lib/ids.ts";
import { runObject } from "../objects.ts";

/** Name of the event a directly invoked run receives. */
export const INVOKED_EVENT = "stepwise/function.invoked";

/** Starts a run of `functionId` (which the caller has checked exists) and returns its id. */
export async function invokeFunction(env: Env, functionId: string, data: Record<string, unknown>): Promise<string> {
  const runId = newId();
  const event = { id: newId(), name: INVOKED_EVENT, data, ts: Date.now() };
  await runObject(env, runId).start({ runId, functionId, events: [event] });
  return runId;
}
