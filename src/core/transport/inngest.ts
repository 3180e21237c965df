/**
 * The transport to apps served by the official `inngest` SDK: each execution request translated
 * (src/core/inngest/translate.ts), its canonical body signed with INNGEST_SIGNING_KEY (none in
 * Inngest's dev mode), sent to the app, and the answer's signature checked before it is read. A
 * call that gives no usable answer is a failed attempt, as with Stepwise's own apps.
 */
import type { AppTarget } from "../../../sdk/app-protocol.ts";
import { namedError } from "../../../sdk/error-names.ts";
import type { ExecutionRequest, ExecutionResponse } from "../../../sdk/protocol.ts";
import type { Env } from "../env.ts";
import type { CatalogFunction } from "../functions/catalog.ts";
import { canonicalJson, signInngest, verifyInngest } from "../inngest/signing.ts";
import { inngestMode, type InngestMode } from "../inngest/sync.ts";
import { inngestCall, readAnswer, unwrapAnswer } from "../inngest/translate.ts";
import { appUrl, fetchApp } from "./app-call.ts";
import { failedAttempt } from "./failed-attempt.ts";

/** Sends one call to the app: the query to add to its URL, and the request. */
export type InngestSend = (
  query: string,
  init: { method: "POST"; headers: Record<string, string>; body: string },
) => Promise<Response>;

/**
 * The calls of a run under way that its app may checkpoint into. Each call gets an id no one can
 * guess, valid only until its answer arrives or it is given up: a checkpoint naming any other id
 * (a call abandoned after its timeout, one from before a restart, a forgery) is refused.
 */
export interface OpenCalls {
  open(): string;
  close(callId: string): void;
}

/**
 * An executor for an Inngest function, over `send`; `retries` is the function's (its
 * `max_attempts` less one); with `calls` the SDK may checkpoint (an app that reaches Stepwise).
 */
export function inngestExecutor(
  send: InngestSend,
  mode: InngestMode,
  retries: number,
  stepName: (id: string) => string,
  calls?: OpenCalls,
): (request: ExecutionRequest) => Promise<ExecutionResponse> {
  return async (request) => {
    const startedAt = Date.now();
    if (mode.kind === "unconfigured")
      return failedAttempt(request, namedError("ProtocolError", mode.why), stepName, startedAt);
    const callId = calls?.open();
    try {
      const call = inngestCall(request, retries + 1, callId);
      const body = canonicalJson(call.body);
      const [key] = mode.kind === "cloud" ? mode.keys : [];
      const headers = key
        ? { ...call.headers, "x-inngest-signature": await signInngest(body, key, Date.now()) }
        : call.headers;
      const response = await send(call.query, { method: "POST", headers, body });
      const text = await response.text();
      if (response.status === 401) {
        throw new Error(
          `The Inngest app refused Stepwise's signature (does it hold this Stepwise's INNGEST_SIGNING_KEY?): ${text.slice(0, 200)}`,
        );
      }
      if (!response.headers.has("x-inngest-sdk")) {
        throw new Error(`The answer (${response.status}) did not come from the Inngest SDK: ${text.slice(0, 200)}`);
      }
      // A streamed 201 signs nothing itself: the answer it wraps carries its own signature.
      const answer = unwrapAnswer(response.status, response.headers, text);
      if (mode.kind === "cloud") {
        const signature = answer.headers.get("x-inngest-signature");
        const refused = await verifyInngest(signature, answer.text, mode.keys, Date.now());
        if (refused) throw new Error(`The Inngest app's answer is not signed with this Stepwise's key: ${refused}`);
      }
      return readAnswer(answer, { startedAt, endedAt: Date.now() });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return failedAttempt(request, namedError("ProtocolError", message), stepName, startedAt);
    } finally {
      if (callId !== undefined) calls?.close(callId);
    }
  };
}

/** `target` with `query` added to where it is called. */
function withQuery(target: AppTarget, query: string): AppTarget {
  if ("binding" in target) return { ...target, path: `${target.path ?? "/"}?${query}` };
  return { ...target, url: `${target.url}${target.url.includes("?") ? "&" : "?"}${query}` };
}

/**
 * Executes one request of a run of `fn`, an Inngest app's function; `calls` holds the run's
 * calls open to checkpoints, used when the app may checkpoint.
 */
export function executeInngest(
  env: Env,
  fn: CatalogFunction & { remote: AppTarget },
  request: ExecutionRequest,
  stepName: (id: string) => string,
  calls: OpenCalls,
): Promise<ExecutionResponse> {
  const target = fn.remote;
  // The SDK's Cloudflare adapter reads its URL against the Host header, which a binding omits.
  const host = new URL(appUrl(target)).host;
  const send: InngestSend = (query, init) =>
    fetchApp(env, withQuery(target, query), { ...init, headers: { ...init.headers, host } });
  const open = target.checkpoint === true ? calls : undefined;
  return inngestExecutor(send, inngestMode(env), fn.config.retries, stepName, open)(request);
}
