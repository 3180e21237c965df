/**
 * The remote transport of the execution protocol: the same request and response as in-process,
 * carried to an app by {@link callApp}. A failed call is a failed attempt: of the step that was
 * asked for (retried by the function's policy), or of the function body; the app's own refusal
 * that it has no such function fails the run for good.
 */
import { appErrorSchema, type AppTarget } from "../../../sdk/app-protocol.ts";
import {
  executionResponseSchema,
  type ExecutionRequest,
  type ExecutionResponse,
  type SerializedError,
} from "../../../sdk/protocol.ts";
import type { Env } from "../env.ts";
import { AppCallError, callApp } from "./app-call.ts";
import { failedAttempt } from "./failed-attempt.ts";
import { namedError } from "../../../sdk/error-names.ts";

/** How long an app may go on running consecutive steps in one call, unless STEPWISE_REMOTE_BATCH_MS says otherwise. */
const DEFAULT_REMOTE_BATCH_MS = 50;

/** The batching budget this Stepwise gives remote calls (0: one step per call). */
function batchBudget(env: Env): number {
  const configured = Number(env.STEPWISE_REMOTE_BATCH_MS);
  return env.STEPWISE_REMOTE_BATCH_MS !== undefined && Number.isInteger(configured) && configured >= 0
    ? Math.min(configured, 60_000)
    : DEFAULT_REMOTE_BATCH_MS;
}

/**
 * Executes one protocol request in the app at `target`; `stepName` names a step by id for the
 * history; `traceparent` (the run's span) lets the app's own tracing put its work in the run's trace.
 */
export async function executeRemote(
  env: Env,
  target: AppTarget,
  appId: string,
  request: ExecutionRequest,
  stepName: (id: string) => string,
  traceparent?: string,
): Promise<ExecutionResponse> {
  const startedAt = Date.now();
  let answer: { status: number; json: unknown };
  try {
    // A call that may run a new step at once may also run the ones after it (one round trip for many).
    const batched =
      request.allowImmediate && request.runStep === undefined
        ? { ...request, immediateBudgetMs: batchBudget(env) }
        : request;
    answer = await callApp(env, target, "POST", JSON.stringify(batched), traceparent ? { traceparent } : {});
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return failedAttempt(
      request,
      { name: error instanceof AppCallError ? error.name : "Error", message },
      stepName,
      startedAt,
    );
  }
  if (answer.status === 200) {
    const parsed = executionResponseSchema.safeParse(answer.json);
    if (parsed.success) return parsed.data;
    return failedAttempt(
      request,
      namedError(
        "ProtocolError",
        `App "${appId}" answered with a malformed execution response: ${parsed.error.message.slice(0, 500)}`,
      ),
      stepName,
      startedAt,
    );
  }
  const refusal = appErrorSchema.safeParse(answer.json);
  const code = refusal.success ? refusal.data.error.code : "unknown";
  const message = refusal.success ? refusal.data.error.message : `status ${answer.status}`;
  if (code === "function_not_found") {
    return {
      type: "failed",
      error: namedError(
        "FunctionNotFoundError",
        `App "${appId}" no longer has function "${request.functionId}": ${message}`,
      ),
      retriable: false,
    };
  }
  return failedAttempt(
    request,
    namedError("AppRefusedError", `App "${appId}" refused the call (${answer.status} ${code}): ${message}`),
    stepName,
    startedAt,
  );
}
