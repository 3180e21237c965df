/**
 * `env.STEPWISE`: what a Worker bound to Stepwise (a service binding to its `StepwiseRpc`
 * entrypoint) can call, typed without importing Stepwise's internals.
 */
import type { AppTarget, RegisteredApp } from "./app-protocol.ts";
import type { RunStatus } from "./run-status.ts";
import type { RunPage, RunView } from "./runs.ts";
import type { SendableEvent } from "./send.ts";

/** Filters of {@link StepwiseBinding.listRuns}. */
export interface ListRunsFilter {
  functionId?: string;
  status?: RunStatus;
  eventId?: string;
  /** Runs created at or after this time (epoch milliseconds). */
  after?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** 1 to 200; 50 when absent. */
  limit?: number;
}

/**
 * The RPC entrypoint of a Stepwise Worker, as a binding of yours sees it:
 *
 * ```toml
 * [[services]]
 * binding = "STEPWISE"
 * service = "stepwise"
 * entrypoint = "StepwiseRpc"
 * ```
 *
 * Every argument is validated as the HTTP API validates it; a refusal throws an Error whose
 * message says what was wrong and ends with its code (see ./refusal.ts).
 */
export interface StepwiseBinding {
  /** Sends one event or up to 5,000; resolves with their ids once they are safely accepted. */
  send(events: SendableEvent | SendableEvent[]): Promise<{ ids: string[] }>;
  /** Starts a run of `functionId` with `data` as its event data. */
  invoke(functionId: string, data?: Record<string, unknown>): Promise<{ runId: string }>;
  /** A run's status, steps and result; null when there is no such run. */
  getRun(runId: string): Promise<RunView | null>;
  /** A page of the run index, newest first. */
  listRuns(filter?: ListRunsFilter): Promise<RunPage>;
  /** Registers the app reachable at `target` (what `serve()` calls on PUT). */
  syncApp(target: AppTarget): Promise<RegisteredApp>;
  /** Cancels a run; null when there is no such run. */
  cancel(runId: string, reason?: string): Promise<{ cancelled: boolean; status: RunStatus } | null>;
}
