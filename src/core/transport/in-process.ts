/**
 * The in-process transport of the execution protocol, for functions embedded in this Worker.
 * The response is validated exactly as one from a remote app would be.
 */
import { execute } from "../../../sdk/execution.ts";
import type { StepwiseFunction } from "../../../sdk/function.ts";
import { executionResponseSchema, type ExecutionRequest, type ExecutionResponse } from "../../../sdk/protocol.ts";
import { namedError } from "../../../sdk/error-names.ts";

/** Executes an embedded function for one protocol request. */
export async function executeInProcess(fn: StepwiseFunction, request: ExecutionRequest): Promise<ExecutionResponse> {
  const response = executionResponseSchema.safeParse(await execute(fn, request));
  if (response.success) return response.data;
  return {
    type: "failed",
    error: namedError("ProtocolError", `Malformed answer from the SDK: ${response.error.message}`),
    retriable: true,
  };
}
