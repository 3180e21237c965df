/**
 * Errors users throw from functions, and errors the SDK raises. Each is a small class of its own
 * so `instanceof` and `name` both identify it after a trip through the wire protocol.
 */

/** Base class of every error the SDK raises. */
export class StepwiseError extends Error {
  override name = "StepwiseError";
}

/** Thrown by user code to fail the step (or function) at once, with no further attempts. */
export class NonRetriableError extends Error {
  override name = "NonRetriableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown by user code to ask for the next attempt at a given time (a date, or a delay from now). */
export class RetryAfterError extends Error {
  override name = "RetryAfterError";
  /** Epoch milliseconds of the next attempt. */
  readonly retryAt: number;
  constructor(message: string, retryAfter: Date | number | string, options?: { cause?: unknown }) {
    super(message, options);
    this.retryAt = resolveRetryAt(retryAfter);
  }
}

function resolveRetryAt(retryAfter: Date | number | string): number {
  if (retryAfter instanceof Date) return retryAfter.getTime();
  if (typeof retryAfter === "number") return Date.now() + retryAfter;
  const date = Date.parse(retryAfter);
  if (!Number.isNaN(date)) return date;
  throw new StepwiseError(`RetryAfterError: cannot read ${JSON.stringify(retryAfter)} as a date or delay`);
}

/** What the handler sees when a step failed for good: the step's id and its last error. */
export class StepError extends StepwiseError {
  override name = "StepError";
  constructor(
    readonly stepId: string,
    readonly error: { name: string; message: string; stack?: string | undefined },
  ) {
    super(`Step "${stepId}" failed: ${error.name}: ${error.message}`);
  }
}

/** The function's code no longer matches the run's recorded history. */
export class NonDeterminismError extends StepwiseError {
  override name = "NonDeterminismError";
}

/** A function's configuration or trigger is invalid; `issues` holds the zod issues. */
export class InvalidFunctionError extends StepwiseError {
  override name = "InvalidFunctionError";
  constructor(
    message: string,
    readonly issues: unknown[] = [],
  ) {
    super(message);
  }
}

/** A step attempt took longer than its `timeout`; retried like any other failure. */
export class StepTimeoutError extends StepwiseError {
  override name = "StepTimeoutError";
}

/** A step was called with invalid arguments (a bad id, duration or date). */
export class InvalidStepError extends StepwiseError {
  override name = "InvalidStepError";
}
