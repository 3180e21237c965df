/**
 * The engine's settings for a run, read from its function's config.
 */
import { toMs, type Duration } from "../../sdk/duration.ts";
import { DEFAULT_BACKOFF } from "../../src/core/lib/backoff.ts";
import type { FunctionConfig } from "../../sdk/function.ts";
import { codeVersion, isInngestFunction, type CatalogFunction } from "../../src/core/functions/catalog.ts";
import type { EngineConfig } from "./engine.ts";
import type { Env } from "../../src/core/env.ts";
import { tokenKeys } from "../../src/core/runs/token-ids.ts";
import { MAX_STEPS_PER_RUN } from "../../src/core/limits.ts";
import { MAX_FUNCTION_RESULT_BYTES, MAX_INLINE_OUTPUT_BYTES, MAX_STEP_OUTPUT_BYTES } from "../../sdk/protocol.ts";

/**
 * Retries, backoff, timeouts, cancelOn and limits for runs of a function with `config` (none:
 * defaults, no retries); `rules: "inngest"` for an Inngest app's function, whose runs past
 * `timeouts.finish` are cancelled, as on Inngest. `host`: the deployment's public URL (wait token
 * URLs start with it), whether it has an R2 bucket for large step results, and the key wait
 * token ids are signed with.
 */
export function engineConfig(
  config: FunctionConfig | undefined,
  rules?: "inngest",
  host: {
    publicUrl?: string | undefined;
    payloads?: boolean;
    tokenKey?: string | undefined;
    version?: string | undefined;
  } = {},
): EngineConfig {
  const backoff = config?.backoff;
  const ms = (duration: Duration | undefined): number | undefined =>
    duration === undefined ? undefined : toMs(duration);
  return {
    retries: config?.retries ?? 0,
    startTimeoutMs: ms(config?.timeouts?.start),
    finishTimeoutMs: ms(config?.timeouts?.finish),
    ...(rules === "inngest" ? { finishCancels: true } : {}),
    cancelOn: config?.cancelOn?.map((c) => ({
      event: c.event,
      if: c.match !== undefined ? `event.${c.match} == async.${c.match}` : c.if,
      timeoutMs: ms(c.timeout),
    })),
    backoff: backoff
      ? { initialMs: toMs(backoff.initial), coefficient: backoff.coefficient, maxMs: toMs(backoff.max) }
      : DEFAULT_BACKOFF,
    maxSteps: MAX_STEPS_PER_RUN,
    // Past the inline limit a step's result goes to R2: without the bucket, that is the limit.
    maxOutputBytes: host.payloads ? MAX_STEP_OUTPUT_BYTES : MAX_INLINE_OUTPUT_BYTES,
    maxResultBytes: host.payloads ? MAX_FUNCTION_RESULT_BYTES : MAX_INLINE_OUTPUT_BYTES,
    ...(host.publicUrl ? { publicUrl: host.publicUrl } : {}),
    ...(host.tokenKey ? { tokenKey: host.tokenKey } : {}),
    ...(host.version ? { version: host.version } : {}),
  };
}

/**
 * What the engine needs of the deployment: its public URL, a payload bucket, the token key, and
 * the version of the code `fn` runs on here.
 */
export function hostOf(
  env: Env,
  fn?: CatalogFunction,
): { publicUrl?: string | undefined; payloads: boolean; tokenKey?: string | undefined; version?: string | undefined } {
  const [tokenKey] = tokenKeys(env);
  return {
    publicUrl: env.STEPWISE_PUBLIC_URL,
    payloads: env.PAYLOADS !== undefined,
    tokenKey,
    version: codeVersion(env, fn),
  };
}

/** The rules a function's runs follow: Inngest's for an Inngest app's function. */
export const rulesOf = (fn: CatalogFunction | undefined): "inngest" | undefined =>
  isInngestFunction(fn) ? "inngest" : undefined;
