/**
 * Where a run's large values are kept in R2 (the PAYLOADS bucket): one prefix per run, so
 * retention deletes them together. Step results, the function's result and the data of the event
 * that started it each have a name under it.
 */

/** The prefix of run `runId`'s values. */
export const runPrefix = (runId: string): string => `runs/${encodeURIComponent(runId)}/`;

/** The key of run `runId`'s value called `name` (`steps/<id>`, `result`, `events/<n>`). */
export const payloadKey = (runId: string, name: string): string => `${runPrefix(runId)}${name}`;
