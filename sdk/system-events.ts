/**
 * The events Stepwise itself gives a run that no one sent an event for, and the ids an onFailure
 * handler's function, run and event take: a function can match on these names to tell how it
 * started, and the engine derives the ids so a repeated start finds the same run.
 */

/** The event of a run started by a direct invocation (HTTP, RPC, `step.invoke`, the test engine). */
export const INVOKED_EVENT = "stepwise/function.invoked";
/** The event of a run started by a cron trigger's tick. */
export const CRON_EVENT = "stepwise/cron.tick";
/** The event an onFailure handler's run receives: the failed run's error and first event. */
export const FUNCTION_FAILED_EVENT = "stepwise/function.failed";

/** Id of the function that runs `fnId`'s onFailure handler. */
export const failureFunctionId = (fnId: string): string => `${fnId}.on-failure`;
/** Id of the onFailure run started when run `runId` fails for good (one per failed run). */
export const failureRunId = (runId: string): string => `${runId}.failure`;
/** Id of the `stepwise/function.failed` event that run receives. */
export const failureEventId = (runId: string): string => `${runId}.failed`;
