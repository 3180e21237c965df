/**
 * The client's calls beyond sending events (start a run, read one, list them, cancel one), each
 * over whichever door the client has: the binding's RPC methods, or the HTTP API with an API key.
 * Both answer the same shapes and refuse with the same codes ({@link StepwiseRefusedError}).
 */
import type { ReplayOptions, ReplayResult } from "./replay.ts";
import type { PauseOptions, PauseResult, ResumeResult } from "./function-control.ts";
import type { DelayOptions } from "./delay.ts";
import { z } from "zod";
import {
  bindingValueSchemas,
  type CancelResult,
  type InvokeCallOptions,
  type RescheduleResult,
  type ListRunsFilter,
  type RpcAnswer,
  type TokenCompleted,
} from "./binding.ts";
import { StepwiseError } from "./errors.ts";
import { StepwiseRefusedError, unwrapAnswer, unwrapResponse } from "./refusal.ts";
import type { RunPage, RunView } from "./runs.ts";
import type { StepwiseTarget } from "./send.ts";
import { runOfToken } from "./wait-tokens.ts";
import type { RealtimeMessage, RealtimeScope, RealtimeToken } from "./realtime/messages.ts";
import { checkOutgoing, type OutgoingMessage, type Publisher } from "./realtime/publisher.ts";
import { ndjsonMessages, sseMessages } from "./realtime/reader.ts";

export type HttpTarget = Exclude<StepwiseTarget, { binding: unknown }>;

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

/** One binding call's answer, validated; a thrown call is a {@link StepwiseError}. */
export async function overBinding<S extends z.ZodType>(
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

/** One HTTP API call with the client's API key. */
export async function overHttp(
  target: HttpTarget,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
): Promise<Response> {
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
  options: InvokeCallOptions = {},
): Promise<{ runId: string }> {
  if ("binding" in target)
    return overBinding(() => target.binding.invoke(functionId, data, options), bindingValueSchemas.invoke);
  const tags = options.tags?.length ? { tags: options.tags } : {};
  const when = {
    ...(options.delay !== undefined ? { delay: options.delay } : {}),
    ...(options.runAt !== undefined ? { runAt: options.runAt } : {}),
  };
  return unwrapResponse(
    await overHttp(target, "POST", `/v1/functions/${encodeURIComponent(functionId)}/invoke`, {
      data,
      ...tags,
      ...when,
    }),
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
    tag: "tag",
    metadataKey: "metadataKey",
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

/** Moves a scheduled run's start; null when there is no such run (a started run is refused, 409). */
export async function reschedule(
  target: StepwiseTarget,
  runId: string,
  options: DelayOptions = {},
): Promise<RescheduleResult | null> {
  if ("binding" in target)
    return overBinding(() => target.binding.reschedule(runId, options), bindingValueSchemas.reschedule);
  return orNull(
    await overHttp(target, "POST", runPath(runId, "/reschedule"), options),
    bindingValueSchemas.reschedule.unwrap(),
  );
}

/** Replays an ended run as `options` ask. */
export async function replay(
  target: StepwiseTarget,
  runId: string,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  if ("binding" in target) return overBinding(() => target.binding.replay(runId, options), bindingValueSchemas.replay);
  return unwrapResponse(await overHttp(target, "POST", runPath(runId, "/replay"), options), bindingValueSchemas.replay);
}

/** Pauses or drains a function. */
export async function pauseFunction(
  target: StepwiseTarget,
  functionId: string,
  options: PauseOptions = {},
): Promise<PauseResult> {
  if ("binding" in target)
    return overBinding(() => target.binding.pauseFunction(functionId, options), bindingValueSchemas.pauseFunction);
  return unwrapResponse(
    await overHttp(target, "POST", `/v1/functions/${encodeURIComponent(functionId)}/pause`, options),
    bindingValueSchemas.pauseFunction,
  );
}

/** Resumes a paused or draining function. */
export async function resumeFunction(target: StepwiseTarget, functionId: string): Promise<ResumeResult> {
  if ("binding" in target)
    return overBinding(() => target.binding.resumeFunction(functionId), bindingValueSchemas.resumeFunction);
  return unwrapResponse(
    await overHttp(target, "POST", `/v1/functions/${encodeURIComponent(functionId)}/resume`, {}),
    bindingValueSchemas.resumeFunction,
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

/** Mints a subscription token for one run or one stream. */
export async function realtimeToken(
  target: StepwiseTarget,
  scope: RealtimeScope,
  ttlSeconds?: number,
): Promise<RealtimeToken> {
  if ("binding" in target)
    return overBinding(() => target.binding.realtimeToken(scope, ttlSeconds), bindingValueSchemas.realtimeToken);
  const body = { ...scope, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) };
  return unwrapResponse(await overHttp(target, "POST", "/v1/realtime/tokens", body), bindingValueSchemas.realtimeToken);
}

/** Publishes messages to a stream. */
export async function publish(
  target: StepwiseTarget,
  stream: string,
  messages: OutgoingMessage[],
): Promise<{ seqs: number[] }> {
  checkOutgoing(stream, messages);
  if ("binding" in target)
    return overBinding(() => target.binding.publish(stream, messages), bindingValueSchemas.publish);
  return unwrapResponse(
    await overHttp(target, "POST", "/v1/realtime/publish", { stream, messages }),
    bindingValueSchemas.publish,
  );
}

/** A subscription's messages: over the binding directly, over HTTPS with a token minted first. */
export async function subscribe(
  target: StepwiseTarget,
  scope: RealtimeScope,
  after?: number,
): Promise<AsyncGenerator<RealtimeMessage>> {
  if ("binding" in target) {
    const stream = await overBinding(
      () => target.binding.subscribe(scope, after),
      z.instanceof(ReadableStream<Uint8Array>),
    );
    return ndjsonMessages(stream);
  }
  const { token } = await realtimeToken(target, scope);
  const query = new URLSearchParams({ token, ...(after === undefined ? {} : { after: String(after) }) });
  let response: Response;
  try {
    response = await (target.fetch ?? fetch)(new URL(`/v1/realtime/subscribe?${query}`, target.baseUrl).toString(), {
      headers: { accept: "text/event-stream" },
    });
  } catch (cause) {
    throw new StepwiseError(`Could not reach Stepwise at ${target.baseUrl}: ${describe(cause)}`);
  }
  if (!response.ok || !response.body) await unwrapResponse(response, bindingValueSchemas.publish);
  if (!response.body) throw new StepwiseError("Stepwise answered a subscription without a body");
  return sseMessages(response.body);
}

/** The publisher of a remote app's functions: its client's door to Stepwise. */
export const clientPublisher = (target: StepwiseTarget): Publisher => ({
  publish: (stream, messages) => publish(target, stream, messages),
});
