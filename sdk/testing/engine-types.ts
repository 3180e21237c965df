/**
 * The public shapes of the in-memory test engine: its options and mocks, and the record of a
 * run it hands back. Plain data, so a test asserts on it with `toEqual` / `toMatchObject`.
 */
import type { InvokeSpec, RunEvent, SerializedError, StepOp, WaitSpec } from "../protocol.ts";
import type { SendableEvent } from "../send.ts";
import { StepwiseError } from "../errors.ts";

/** One attempt of a step, as a mock's handler receives it. */
export interface StepCall {
  /** The step's id; a repeated id counts up: `"item"`, `"item:1"`, `"item:2"`… */
  id: string;
  /** Its label (the `name` given with the id, or the id). */
  name: string;
  op: StepOp;
  /** 0 for the first attempt, 1 for the first retry… */
  attempt: number;
  /** A sleep: the moment it sleeps until (epoch ms). */
  until?: number;
  /** A wait: the event it waits for, its condition and deadline. */
  wait?: WaitSpec;
  /** A send: the events it sends. */
  events?: Record<string, unknown>[];
  /** An invoke: the child runs it would start. */
  invoke?: InvokeSpec;
}

/**
 * Stands in for a step, found by its id. What `handler` returns (or resolves with) is the step's
 * result; what it throws fails that attempt, retried like the step's own code (a
 * `NonRetriableError` fails it at once). By kind: a `run` step's code is not called; a `sleep`
 * resolves as always (the handler is only told); a `waitForEvent` gets the returned event (only
 * `data` is required; `null` is a timeout); an `invoke` gets the returned value as the child's
 * output (`invokeMany`: return the outcomes array); a `sendEvent` gets the returned value instead
 * of sending.
 */
export interface StepMock {
  id: string;
  handler: (call: StepCall) => unknown;
}

/** Options of a {@link TestEngine}, and of each `execute()` (which override the engine's). */
export interface TestEngineOptions {
  /**
   * The run's events: the first is `event`, all are `events`. Ids and timestamps are filled in.
   * By default one `stepwise/function.invoked` event with empty data, as a direct invoke gives.
   */
  events?: SendableEvent[];
  /** Mocked steps; a step without a mock runs its real code (run) or the engine's default. */
  steps?: StepMock[];
  /** The run id the function sees; `"test-run"` by default. */
  runId?: string;
  /** Replays of the handler allowed before the engine gives up on a function that never ends (1,000). */
  maxExecutions?: number;
}

/** A step that ended, as the run's record shows it. */
export interface TestStep {
  id: string;
  name: string;
  op: StepOp;
  status: "completed" | "failed";
  /** What the step resolved with: a sleep `null`, a wait the event or `null`, a send `{ ids }`. */
  output?: unknown;
  /** The last attempt's error, when the step failed for good (the handler saw a `StepError`). */
  error?: SerializedError;
  /** Attempts made: 1, plus one per retry. */
  attempts: number;
  /** Errors of the attempts that failed, in order (also those that were retried). */
  errors: SerializedError[];
  /** Whether a {@link StepMock} stood in for it. */
  mocked: boolean;
  /** A sleep: the moment it would have slept until. */
  until?: number;
  /** A wait: what it waited for. */
  wait?: WaitSpec;
  /** A wait that ended with no event (unmocked, mocked with `null`, or its mock's event did not match). */
  timedOut?: boolean;
  /** A wait's mocked event that the wait's condition refused, as Stepwise would have. */
  unmatched?: RunEvent;
  /** A send: the events sent, with their ids. */
  events?: Record<string, unknown>[];
  /** An invoke: the children it asked for. */
  invoke?: InvokeSpec;
}

/** What the handler received on its last execution. */
export interface TestContext {
  event: RunEvent;
  events: RunEvent[];
  runId: string;
  attempt: number;
}

/** The record of a run in the test engine. */
export interface TestExecution {
  /** `paused`: `executeStep` stopped the run at its step, before the function ended. */
  status: "completed" | "failed" | "paused";
  /** The function's return value (after a JSON round trip, as Stepwise stores it). */
  result?: unknown;
  /** The function's error, when it failed. */
  error?: SerializedError;
  /** Every step that ended, in the order they ended. */
  steps: TestStep[];
  /** The same steps by id. */
  state: Record<string, TestStep>;
  /** Events the function's (unmocked) send steps sent, with their ids. */
  sent: RunEvent[];
  /** Attempts of the function body: 1, plus one per retry of an error thrown outside steps. */
  attempts: number;
  ctx: TestContext;
  /** The run's metadata, as its steps' successful attempts changed it. */
  metadata: Record<string, unknown>;
  /** What the function published to realtime streams, in order (a repeated id kept once). */
  published: PublishedMessage[];
}

/** A message the function published, as the test engine's in-memory streams keep it. */
export interface PublishedMessage {
  stream: string;
  seq: number;
  id?: string;
  data: unknown;
}

/** What `executeStep(id)` gives: the run so far, and the step it stopped at. */
export interface TestStepExecution extends TestExecution {
  step: TestStep;
}

/** The test cannot go on as written: a step needs a mock, or the function never ends. */
export class TestEngineError extends StepwiseError {
  override name = "TestEngineError";
}
