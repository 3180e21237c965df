/**
 * How a run reaches its function's code: in this Worker (in-process), or in the function's app
 * (a service binding or HTTPS, signed). Both carry the same protocol; a function no app serves
 * any more fails the run with a clear message.
 */
import type { LiveHooks } from "../../sdk/execution.ts";
import type { ExecutionRequest, ExecutionResponse } from "../../sdk/protocol.ts";
import type { Env } from "../../src/core/env.ts";
import type { CatalogFunction } from "../../src/core/functions/catalog.ts";
import { executeInProcess } from "../../src/core/transport/in-process.ts";
import { executeInngest, type OpenCalls } from "../../src/core/transport/inngest.ts";
import { executeRemote } from "../../src/core/transport/remote.ts";
import { namedError } from "../../sdk/error-names.ts";

/**
 * Executes protocol requests for runs of `fn`; `stepName` names a step for the history; `calls`
 * are the run's calls an Inngest app may checkpoint into.
 */
export function executorFor(
  env: Env,
  functionId: string,
  fn: CatalogFunction | undefined,
  stepName: (id: string) => string,
  calls: OpenCalls,
): (request: ExecutionRequest, live?: LiveHooks) => Promise<ExecutionResponse> {
  if (fn?.embedded) {
    const embedded = fn.embedded;
    return (request, live) => executeInProcess(embedded, request, live);
  }
  if (fn?.remote?.protocol === "inngest") {
    const inngest = { ...fn, remote: fn.remote };
    return (request) => executeInngest(env, inngest, request, stepName, calls);
  }
  if (fn?.remote) {
    const target = fn.remote;
    return (request) => executeRemote(env, target, fn.appId, request, stepName);
  }
  return async () => ({
    type: "failed",
    error: namedError(
      "FunctionNotFoundError",
      `Function "${functionId}" is not registered with this Stepwise (no embedded function or app serves it)`,
    ),
    retriable: false,
  });
}
