/**
 * A call to an app that gave no usable answer is a failed attempt, never a lost one: of the step
 * the call asked for (retried by the function's policy), or of the function body.
 */
import type { ExecutionRequest, ExecutionResponse, SerializedError } from "../../../sdk/protocol.ts";

/** A failed attempt for `request`: the asked-for step's, or the body's. */
export function failedAttempt(
  request: ExecutionRequest,
  error: SerializedError,
  stepName: (id: string) => string,
  startedAt: number,
  retriable = true,
): ExecutionResponse {
  if (request.runStep === undefined) return { type: "failed", error, retriable };
  return {
    type: "steps",
    steps: [
      {
        type: "errored",
        id: request.runStep,
        name: stepName(request.runStep),
        error,
        retriable,
        timing: { startedAt, endedAt: Date.now() },
      },
    ],
  };
}
