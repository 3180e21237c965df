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
import { enginePublisher } from "../../src/core/realtime/publish.ts";
import { namedError } from "../../sdk/error-names.ts";
import { MAX_STEPS_PER_CALL } from "./requests.ts";

/** Most planned steps one call to a remote app runs: each answer carries all their outputs. */
export const REMOTE_STEPS_PER_CALL = 25;

/**
 * How runs of `fn` run planned steps several per call (see RunPorts.batches): an embedded
 * function live, up to the protocol's limit; a remote app whose SDK has the `run-steps` feature,
 * {@link REMOTE_STEPS_PER_CALL} at a time; others (Inngest apps, older SDKs) one per call.
 */
export function batchesFor(fn: CatalogFunction | undefined): { max: number; live: boolean } | undefined {
  if (fn?.embedded) return { max: MAX_STEPS_PER_CALL, live: true };
  if (fn?.remote && fn.remote.protocol !== "inngest" && fn.features?.includes("run-steps"))
    return { max: REMOTE_STEPS_PER_CALL, live: false };
  return undefined;
}

/**
 * Executes protocol requests for runs of `fn`; `stepName` names a step for the history; `calls`
 * are the run's calls an Inngest app may checkpoint into; `traceparent` is sent to remote apps.
 */
export function executorFor(
  env: Env,
  functionId: string,
  fn: CatalogFunction | undefined,
  stepName: (id: string) => string,
  calls: OpenCalls,
  traceparent?: string,
): (request: ExecutionRequest, live?: LiveHooks) => Promise<ExecutionResponse> {
  if (fn?.embedded) {
    const embedded = fn.embedded;
    const publisher = enginePublisher(env);
    return (request, live) => executeInProcess(embedded, request, live, publisher);
  }
  if (fn?.remote?.protocol === "inngest") {
    const inngest = { ...fn, remote: fn.remote };
    return (request) => executeInngest(env, inngest, request, stepName, calls);
  }
  if (fn?.remote) {
    const target = fn.remote;
    return (request) => executeRemote(env, target, fn.appId, request, stepName, traceparent);
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
