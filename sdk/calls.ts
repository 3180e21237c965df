/**
 * The client's calls beyond sending events (start a run, read one, list them, cancel one), each
 * over whichever door the client has: the binding's RPC methods, or the HTTP API with an API key.
 * Both answer the same shapes and refuse with the same codes ({@link StepwiseRefusedError}).
 */
import type { z } from "zod";
import {
  bindingValueSchemas,
  type CancelResult,
  type ListRunsFilter,
  type RpcAnswer,
  type TokenCompleted,
} from "./binding.ts";
import { StepwiseError } from "./errors.ts";
import { StepwiseRefusedError, unwrapAnswer, unwrapResponse } from "./refusal.ts";
import type { RunPage, RunView } from "./runs.ts";
import type { StepwiseTarget } from "./send.ts";
import { runOfToken } from "./wait-tokens.ts";

type HttpTarget = Exclude<StepwiseTarget, { binding: unknown }>;

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

async function overBinding<S extends z.ZodType>(
  call: () => Promise<RpcAnswer<unknown>>,
  schema: S,
): Promise<z.output<S>> {
  let answer: unknown;
  try {
    answer = await call();
  } catch (cause) {
    throw new StepwiseError(`Could not reach Stepwise over its binding: ${describe(cause)}`);
  }
  return unwrapAnswer(answer, schema);
}

async function overHttp(target: HttpTarget, method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
  if (!target.apiKey)
    throw new StepwiseError(`This call needs an API key over HTTPS: give the client \`apiKey\` (or a \`binding\`)`);
  const headers: Record<string, string> = { authorization: `Bearer ${target.apiKey}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  try {
    return await (target.fetch ?? fetch)(new URL(path, target.baseUrl).toString(), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (cause) {
    throw new StepwiseError(`Could not reach Stepwise at ${target.baseUrl}: ${describe(cause)}`);
  }
}

/** An HTTP answer where 404 `run_not_found` means "no such run" (null), not a refusal. */
async function orNull<S extends z.ZodType>(response: Response, schema: S): Promise<z.output<S> | null> {
  try {
    return await unwrapResponse(response, schema);
  } catch (error) {
    if (error instanceof StepwiseRefusedError && error.code === "run_not_found") return null;
    throw error;
  }
}

const runPath = (runId: string, action = ""): string => `/v1/runs/${encodeURIComponent(runId)}${action}`;

/** Starts a run of `functionId`. */
export async function invoke(
  target: StepwiseTarget,
  functionId: string,
  data: Record<string, unknown>,
): Promise<{ runId: string }> {
  if ("binding" in target)
    return overBinding(() => target.binding.invoke(functionId, data), bindingValueSchemas.invoke);
  return unwrapResponse(
    await overHttp(target, "POST", `/v1/functions/${encodeURIComponent(functionId)}/invoke`, { data }),
    bindingValueSchemas.invoke,
  );
}

/** A run with its steps; null when there is no such run. */
export async function getRun(target: StepwiseTarget, runId: string): Promise<RunView | null> {
  if ("binding" in target) return overBinding(() => target.binding.getRun(runId), bindingValueSchemas.getRun);
  return orNull(await overHttp(target, "GET", runPath(runId)), bindingValueSchemas.getRun.unwrap());
}

/** A page of runs, newest first. */
export async function listRuns(target: StepwiseTarget, filter: ListRunsFilter): Promise<RunPage> {
  if ("binding" in target) return overBinding(() => target.binding.listRuns(filter), bindingValueSchemas.listRuns);
  const query = new URLSearchParams();
  const names: Record<keyof ListRunsFilter, string> = {
    functionId: "function",
    eventId: "event",
    status: "status",
    after: "after",
    cursor: "cursor",
    limit: "limit",
  };
  for (const [key, name] of Object.entries(names) as [keyof ListRunsFilter, string][]) {
    const value = filter[key];
    if (value !== undefined) query.set(name, String(value));
  }
  return unwrapResponse(await overHttp(target, "GET", `/v1/runs?${query}`), bindingValueSchemas.listRuns);
}

/** Cancels a run; null when there is no such run. */
export async function cancel(target: StepwiseTarget, runId: string, reason?: string): Promise<CancelResult | null> {
  if ("binding" in target) return overBinding(() => target.binding.cancel(runId, reason), bindingValueSchemas.cancel);
  return orNull(
    await overHttp(target, "POST", runPath(runId, "/cancel"), reason === undefined ? {} : { reason }),
    bindingValueSchemas.cancel.unwrap(),
  );
}

/** Completes a wait token with `data` (an operator's call: a token's secret is not asked for). */
export async function completeToken(target: StepwiseTarget, tokenId: string, data: unknown): Promise<TokenCompleted> {
  if ("binding" in target)
    return overBinding(() => target.binding.completeToken(tokenId, data), bindingValueSchemas.completeToken);
  const runId = runOfToken(tokenId);
  if (runId === undefined) throw new StepwiseError(`"${tokenId.slice(0, 300)}" is not a wait token id`);
  return unwrapResponse(
    await overHttp(target, "POST", runPath(runId, `/tokens/${encodeURIComponent(tokenId)}/complete`), data ?? null),
    bindingValueSchemas.completeToken,
  );
}
