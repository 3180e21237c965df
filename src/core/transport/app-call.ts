/**
 * Calling a remote app: a signed request through a service binding of this Worker or over
 * HTTP(S), and its answer checked (its signature verified, its JSON read). Every way it can go
 * wrong comes back as an {@link AppCallError} whose message says what happened.
 */
import type { AppTarget } from "../../../sdk/app-protocol.ts";
import { unsafeAppUrl } from "../lib/app-url.ts";
import {
  MIN_SIGNING_KEY_LENGTH,
  sign,
  SIGNATURE_HEADER,
  signatureValue,
  verifySignature,
} from "../../../sdk/signing.ts";
import type { Env } from "../env.ts";

/** How long Stepwise waits for an app's answer (a step's code runs inside that call). */
const APP_CALL_TIMEOUT_MS = 120_000;

/** Why a call to an app did not give a usable answer. `status` is the app's HTTP status, when it answered. */
export class AppCallError extends Error {
  override name = "AppCallError";
  constructor(
    message: string,
    readonly kind: "unreachable" | "timeout" | "http" | "unsigned" | "malformed" | "not_configured",
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** The signing keys of this Stepwise: the current one (absent when unset or too short) and all it accepts. */
export function signingKeys(env: Env): { current: string | undefined; all: (string | undefined)[] } {
  const usable = (key: string | undefined) =>
    key !== undefined && key.length >= MIN_SIGNING_KEY_LENGTH ? key : undefined;
  return {
    current: usable(env.STEPWISE_SIGNING_KEY),
    all: [usable(env.STEPWISE_SIGNING_KEY), usable(env.STEPWISE_SIGNING_KEY_FALLBACK)],
  };
}

/** The service binding named `name` on this Worker, if it is one. */
export function bindingNamed(env: Env, name: string): Fetcher | undefined {
  const value: unknown = (env as unknown as Record<string, unknown>)[name];
  return typeof value === "object" && value !== null && typeof (value as { fetch?: unknown }).fetch === "function"
    ? (value as Fetcher)
    : undefined;
}

const describe = (target: AppTarget): string =>
  "binding" in target ? `binding ${target.binding}${target.path ?? ""}` : target.url;

/**
 * Sends `init` to the app at `target` (its service binding, or its URL), with the call's timeout.
 * A deployed Stepwise still refuses a URL that is not public https. Fails with an
 * {@link AppCallError} when there is no answer; any answer, whatever its status, is returned.
 */
export async function fetchApp(env: Env, target: AppTarget, init: RequestInit): Promise<Response> {
  // An app registered in development keeps its URL; a deployed Stepwise still refuses to call it.
  const unsafe = "url" in target && env.STEPWISE_ENV !== "development" ? unsafeAppUrl(target.url) : null;
  if (unsafe && "url" in target)
    throw new AppCallError(`Stepwise will not call ${target.url.slice(0, 300)}: ${unsafe}`, "not_configured");
  const timed: RequestInit = { ...init, signal: AbortSignal.timeout(APP_CALL_TIMEOUT_MS) };
  try {
    if ("binding" in target) {
      const fetcher = bindingNamed(env, target.binding);
      if (!fetcher)
        throw new AppCallError(`This Stepwise Worker has no service binding "${target.binding}"`, "not_configured");
      return await fetcher.fetch(appUrl(target), timed);
    }
    return await fetch(target.url, timed);
  } catch (error) {
    if (error instanceof AppCallError) throw error;
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const message = timedOut
      ? `no answer within ${APP_CALL_TIMEOUT_MS / 1000} s`
      : error instanceof Error
        ? error.message
        : String(error);
    throw new AppCallError(
      `App at ${describe(target)} ${timedOut ? "timed out" : "is unreachable"}: ${message}`,
      timedOut ? "timeout" : "unreachable",
    );
  }
}

/** The URL the app is called at: its own, or (through a binding) its path on a placeholder host. */
export function appUrl(target: AppTarget): string {
  return "binding" in target ? new URL(target.path ?? "/", "https://app.internal").toString() : target.url;
}

/** Sends a signed request to the app and returns its verified JSON answer (any status). */
export async function callApp(
  env: Env,
  target: AppTarget,
  method: "GET" | "POST",
  body = "",
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const keys = signingKeys(env);
  if (!keys.current) {
    throw new AppCallError(
      `This Stepwise has no STEPWISE_SIGNING_KEY of at least ${MIN_SIGNING_KEY_LENGTH} characters, so it cannot call apps (wrangler secret put STEPWISE_SIGNING_KEY)`,
      "not_configured",
    );
  }
  const signature = await sign(body, keys.current, Date.now(), { request: method });
  const response = await fetchApp(env, target, {
    method,
    headers: { ...extraHeaders, "content-type": "application/json", [SIGNATURE_HEADER]: signature },
    ...(method === "POST" ? { body } : {}),
  });
  const text = await response.text();
  if (response.status >= 500)
    throw new AppCallError(
      `App at ${describe(target)} answered ${response.status}: ${text.slice(0, 300)}`,
      "http",
      response.status,
    );
  const refused = await verifySignature(response.headers.get(SIGNATURE_HEADER), text, keys.all, Date.now(), {
    answerTo: signatureValue(signature),
  });
  if (refused)
    throw new AppCallError(
      `App at ${describe(target)} answered ${response.status} without a valid signature (${refused})`,
      "unsigned",
      response.status,
    );
  try {
    return { status: response.status, json: JSON.parse(text) };
  } catch {
    throw new AppCallError(
      `App at ${describe(target)} answered ${response.status} with a body that is not JSON`,
      "malformed",
      response.status,
    );
  }
}
