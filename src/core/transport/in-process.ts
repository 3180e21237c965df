/**
 * The in-process transport of the execution protocol, for functions embedded in this Worker.
 * The response is validated exactly as one from a remote app would be.
 */
import { execute, type LiveHooks } from "../../../sdk/execution.ts";
import type { StepwiseFunction } from "../../../sdk/function.ts";
import {
  executionResponseSchema,
  reachedStepSchema,
  type ExecutionRequest,
  type ExecutionResponse,
} from "../../../sdk/protocol.ts";
import { namedError } from "../../../sdk/error-names.ts";
import type { Publisher } from "../../../sdk/realtime/publisher.ts";

/**
 * Executes an embedded function for one protocol request; with `live`, its handler goes on from
 * step to step in this call, each step checked and recorded through `live` as it finishes.
 */
export async function executeInProcess(
  fn: StepwiseFunction,
  request: ExecutionRequest,
  live?: LiveHooks,
  publisher?: Publisher,
): Promise<ExecutionResponse> {
  const more = live?.more;
  const checked: LiveHooks | undefined = live && {
    ran: (step) => {
      const parsed = reachedStepSchema.safeParse(step);
      if (parsed.success) return live.ran(parsed.data);
      // Recorded as what it is, a step whose outcome the engine cannot read, never thrown.
      const error = namedError("ProtocolError", `Malformed step outcome from the SDK: ${parsed.error.message}`);
      const timing = { startedAt: Date.now(), endedAt: Date.now() };
      live.ran({ type: "errored", id: step.id, name: step.name, error, retriable: true, timing });
      return "stop";
    },
    proceed: () => live.proceed(),
    ...(more ? { more: () => more.call(live) } : {}),
  };
  const response = executionResponseSchema.safeParse(await execute(fn, request, checked, publisher));
  if (response.success) return response.data;
  return {
    type: "failed",
    error: namedError("ProtocolError", `Malformed answer from the SDK: ${response.error.message}`),
    retriable: true,
  };
}
