/**
 * `serve()`: functions that live in an app of their own (another Worker, a Node server, any host
 * with Web-standard Request/Response), run by Stepwise through the execution protocol. The
 * handler answers POST (run a function against its memoized steps), GET (what it serves) and PUT
 * (ask Stepwise to register it). Every call from Stepwise must be signed; every answer is.
 */
import { z } from "zod";
import {
  appManifestSchema,
  appTargetSchema,
  type AppErrorCode,
  type AppManifest,
  type AppTarget,
} from "./app-protocol.ts";
import { clientTargets, type Stepwise } from "./client.ts";
import { InvalidFunctionError } from "./errors.ts";
import { execute } from "./execution.ts";
import { failureFunction } from "./failure.ts";
import type { StepwiseFunction } from "./function.ts";
import { executionRequestSchema, PROTOCOL_VERSION } from "./protocol.ts";
import { MemoryReplayGuard, type ReplayGuard } from "./replay-guard.ts";
import { checkSignature, MIN_SIGNING_KEY_LENGTH, sign, SIGNATURE_HEADER, signatureValue } from "./signing.ts";
import { syncApp } from "./sync.ts";
import { clientPublisher } from "./calls.ts";

/** Name and version this SDK reports in its manifest. */
const SDK_NAME = "stepwise-ts/0.1.0";

/** Options of {@link serve}. */
export interface ServeOptions {
  client: Stepwise;
  functions: StepwiseFunction[];
  /** The key Stepwise signs with (its STEPWISE_SIGNING_KEY); answers are signed with it too. */
  signingKey: string;
  /** A previous key still accepted while a rotation is under way. */
  signingKeyFallback?: string | undefined;
  /** On PUT: register as this service binding of the Stepwise Worker, at the PUT's path. */
  bindingName?: string | undefined;
  /**
   * On PUT: register at this URL (the public https:// URL of this handler). Never taken from the
   * request, whose Host header anyone can set; without it (or `bindingName`) PUT is refused.
   */
  serveUrl?: string | undefined;
  /**
   * Where the nonces of signed requests are remembered, so each request is accepted once. By
   * default this process's (isolate's) memory, shared by every serve() handler in it; give a
   * guard backed by a Durable Object or KV for once-only across isolates.
   */
  replayGuard?: ReplayGuard | undefined;
}

/** The nonces this isolate has accepted, shared by handlers made per request. */
const isolateGuard = new MemoryReplayGuard();

/** A fetch handler: Request in, Response out. */
export type ServeHandler = (request: Request) => Promise<Response>;

const keySchema = z
  .string()
  .min(MIN_SIGNING_KEY_LENGTH, `a signing key of at least ${MIN_SIGNING_KEY_LENGTH} characters`);
const optionsSchema = z.object({
  signingKey: keySchema,
  signingKeyFallback: keySchema.optional(),
  serveUrl: z.url({ protocol: /^https?$/ }).optional(),
});

/** The functions `serve()` answers for: each one, and its onFailure companion. */
function byId(functions: StepwiseFunction[]): Map<string, StepwiseFunction> {
  const map = new Map<string, StepwiseFunction>();
  for (const fn of functions.flatMap((fn) => (fn.onFailure ? [fn, failureFunction(fn)] : [fn]))) {
    if (map.has(fn.id)) throw new InvalidFunctionError(`serve(): two functions have the id "${fn.id}"`);
    map.set(fn.id, fn);
  }
  return map;
}

/** The manifest an app answers GET with. */
function manifestOf(appId: string, functions: Iterable<StepwiseFunction>): AppManifest {
  return appManifestSchema.parse({
    protocol: PROTOCOL_VERSION,
    appId,
    sdk: SDK_NAME,
    features: ["run-steps"],
    functions: [...functions].map((fn) => ({ id: fn.id, config: fn.config, triggers: fn.triggers })),
  });
}

/**
 * Returns the fetch handler that serves `functions` to Stepwise from an app of their own (a Worker,
 * or Node through {@link toNodeListener}). Every request must carry Stepwise's signature, made with
 * the `signingKey` both share. Throws on invalid options.
 *
 * @example
 * ```ts
 * import { serve, Stepwise } from "stepwise";
 *
 * const stepwise = new Stepwise({ id: "billing", binding: env.STEPWISE });
 * const handler = serve({ client: stepwise, functions: [charge, refund], signingKey: env.STEPWISE_SIGNING_KEY });
 * export default { fetch: (request: Request) => handler(request) };
 * ```
 */
export function serve(options: ServeOptions): ServeHandler {
  const checked = optionsSchema.safeParse(options);
  if (!checked.success)
    throw new InvalidFunctionError(`Invalid serve() options: ${z.prettifyError(checked.error)}`, checked.error.issues);
  const functions = byId(options.functions);
  const keys = [options.signingKey, options.signingKeyFallback];
  const manifest = JSON.stringify(manifestOf(options.client.id, functions.values()));
  // Functions publish through the client's own door (its binding, or HTTPS with its API key).
  const target = clientTargets.get(options.client);
  const publisher = target ? clientPublisher(target) : undefined;

  return async (request) => {
    // Every answer is signed as the answer to this very request, so it cannot be replayed for another.
    const answerTo = signatureValue(request.headers.get(SIGNATURE_HEADER));
    const answer = async (status: number, body: unknown): Promise<Response> => {
      const text = JSON.stringify(body);
      const signature = await sign(text, options.signingKey, Date.now(), { answerTo });
      return new Response(text, {
        status,
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature },
      });
    };
    const refuse = (status: number, code: AppErrorCode, message: string) =>
      answer(status, { error: { code, message } });

    if (request.method === "PUT") return register(options, request, refuse, answer);
    if (request.method !== "GET" && request.method !== "POST")
      return refuse(405, "method_not_allowed", `${request.method} is not served here (GET, POST, PUT)`);
    const body = request.method === "POST" ? await request.text() : "";
    const checked = await checkSignature(request.headers.get(SIGNATURE_HEADER), body, keys, Date.now(), {
      request: request.method,
    });
    if ("refused" in checked) return refuse(401, "unauthorized", `Refused: ${checked.refused}`);
    if (checked.nonce && !(await (options.replayGuard ?? isolateGuard).claim(checked.nonce, checked.expiresAt))) {
      return refuse(401, "unauthorized", "Refused: this signed request was already received (a replay)");
    }
    if (request.method === "GET") return answer(200, JSON.parse(manifest));
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return refuse(400, "invalid_request", "The body is not JSON");
    }
    const parsed = executionRequestSchema.safeParse(json);
    if (!parsed.success)
      return refuse(400, "invalid_request", `Not an execution request: ${z.prettifyError(parsed.error)}`);
    const fn = functions.get(parsed.data.functionId);
    if (!fn)
      return refuse(
        404,
        "function_not_found",
        `App "${options.client.id}" has no function "${parsed.data.functionId}"`,
      );
    return answer(200, await execute(fn, parsed.data, undefined, publisher));
  };
}

/** PUT: asks Stepwise to register this app, reachable by binding name or at `serveUrl`. */
async function register(
  options: ServeOptions,
  request: Request,
  refuse: (status: number, code: AppErrorCode, message: string) => Promise<Response>,
  answer: (status: number, body: unknown) => Promise<Response>,
): Promise<Response> {
  const eventTarget = clientTargets.get(options.client);
  if (!eventTarget)
    return refuse(
      500,
      "not_configured",
      `Stepwise client "${options.client.id}" has no binding or baseUrl to register through`,
    );
  let target: AppTarget;
  if (options.bindingName)
    target = appTargetSchema.parse({ binding: options.bindingName, path: new URL(request.url).pathname });
  else if (options.serveUrl) target = appTargetSchema.parse({ url: options.serveUrl });
  else
    return refuse(
      400,
      "not_configured",
      "serve() registers on PUT only with `serveUrl` (this handler's public URL) or `bindingName`; the request's own Host is not trusted",
    );
  const result = await syncApp(eventTarget, target, options.signingKey);
  return answer(result.status, result.body);
}
