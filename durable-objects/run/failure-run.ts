/**
 * A Stepwise function's onFailure handler: a companion function (`<id>.failure` by
 * `failureFunctionId`) started once, after the run's final failure, with the failed run's error
 * and event. Its run id is derived from the failed run's, so starting it again finds the same run.
 */
import { failureEventId, failureFunctionId, failureRunId, FUNCTION_FAILED_EVENT } from "../../sdk/system-events.ts";
import type { Env } from "../../src/core/env.ts";
import { getFunction, type CatalogFunction } from "../../src/core/functions/catalog.ts";
import { startRun } from "../../src/core/runs/start.ts";
import type { RunState } from "./state.ts";

/** Starts the onFailure run of `state`'s failed run of `fn`, if it has one; returns that run's id. */
export async function startFailureRun(
  env: Env,
  state: RunState,
  fn: CatalogFunction | undefined,
): Promise<string | undefined> {
  const [event] = state.events;
  if (!state.error || !event || !fn || !(await getFunction(env, failureFunctionId(fn.id)))) return undefined;
  const runId = failureRunId(state.runId);
  // The failed run's event as its handler saw it (`state` has data kept in R2 read back).
  const { claim: _claim, ...original } = event;
  const data = { functionId: fn.id, runId: state.runId, error: state.error, event: original };
  await startRun(env, {
    runId,
    functionId: failureFunctionId(fn.id),
    events: [{ id: failureEventId(state.runId), name: FUNCTION_FAILED_EVENT, data, ts: Date.now() }],
    parentRunId: state.runId,
  });
  return runId;
}
