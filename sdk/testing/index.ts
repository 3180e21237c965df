/**
 * `stepwise/testing`: tools for testing Stepwise functions. Everything public is exported here;
 * the other files of this folder are internal.
 *
 * - {@link TestEngine} runs one function's steps in memory (plain Node or vitest, no workerd):
 *   steps mocked or run for real, sleeps skipped, waits answered, retries without backoff.
 * - {@link TestClient} drives real runs through a Stepwise Worker's HTTP API (for example `SELF`
 *   in the Workers vitest pool) and skips their sleeps and backoffs.
 */
export { TestEngine } from "./engine.ts";
export { TestEngineError } from "./engine-types.ts";
export type {
  StepCall,
  StepMock,
  TestContext,
  TestEngineOptions,
  TestExecution,
  TestStep,
  TestStepExecution,
  PublishedMessage,
} from "./engine-types.ts";
export { TestClient, TestClientError, testRunSchema } from "./client.ts";
export type { FetchLike, SkipTime, TestRun, WaitOptions } from "./client.ts";
export { ENDED_STATUSES, RUN_STATUSES, isEnded } from "../run-status.ts";
export type { EndedStatus, RunStatus } from "../run-status.ts";
