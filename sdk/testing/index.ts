/**
 * `stepwise/testing`: tools for testing Stepwise functions. Everything public is exported here;
 * the other files of this folder are internal.
 *
 * - {@link TestClient} drives real runs through a Stepwise Worker's HTTP API (for example `SELF`
 *   in the Workers vitest pool) and skips their sleeps and backoffs.
 */
export { TestClient, TestClientError, testRunSchema } from "./client.ts";
export type { FetchLike, SkipTime, TestRun, WaitOptions } from "./client.ts";
export { ENDED_STATUSES, RUN_STATUSES, isEnded } from "../run-status.ts";
export type { EndedStatus, RunStatus } from "../run-status.ts";
