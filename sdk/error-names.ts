/**
 * The catalogue of errors a run or step can end with that Stepwise itself records (as the
 * `error.name` of a failed step, run or child outcome), beside the error classes users throw
 * (`sdk/errors.ts`). Code matches on these names: `error.name === "FunctionTimeoutError"`.
 * docs/errors.md lists each with what to do about it, and its test keeps the two in step.
 */
import type { SerializedError } from "./protocol.ts";

/** Every name Stepwise records, with what it means. */
export const ERROR_NAMES = {
  LimitExceededError: "The run went past a stated limit: steps per run, a step's output size, or events per send",
  FunctionTimeoutError: "The run did not finish within its `timeouts.finish`",
  InvokeTimeoutError: "A `step.invoke` child run did not end before the step's timeout",
  InvokeError: "A `step.invoke` child run ended without an outcome the parent could read",
  InvalidEventError: "A `step.sendEvent` event is malformed (its zod issues are in the message)",
  SendEventError: "A `step.sendEvent` could not record its events; retried like any step",
  RunCancelledError: "A child run was cancelled, so the parent's `step.invoke` fails with this",
  RunSkippedError: "The run was skipped by flow control (rate limit, singleton) before it started",
  ProtocolError: "The function (embedded or a remote app) answered outside the execution protocol",
  FunctionNotFoundError: "No embedded function and no registered app serves the run's function id",
  AppRefusedError: "A remote app refused the call (its signature check, or an error answer)",
  NonRetriableError: "User code threw `NonRetriableError`: the step or run failed at once",
  NonDeterminismError: "The function's code no longer matches the run's recorded history",
  InvalidMetadataError: "A step's metadata change cannot apply (an increment of a value that is not a number)",
  UnknownTokenError: "`step.waitForToken` was given a token that this run did not create",
} as const;

/** A name Stepwise records on a failed step or run. */
export type ErrorName = keyof typeof ERROR_NAMES;

/** An error as Stepwise records it, named from the catalogue. */
export function namedError(name: ErrorName, message: string): SerializedError {
  return { name, message };
}
