/**
 * Wait tokens: a run waits until someone completes a token, by `POST`ing to its URL (a button in
 * a browser, a third party's webhook) or through the client. The URL is the capability: it holds
 * 64 random bits and a 64-bit MAC only the deployment can make, and needs no API key. A token completes once; a token created with a `secret`
 * takes only completions signed with it (see {@link signTokenCompletion}).
 */
import { z } from "zod";
import { toMs, type Duration } from "./duration.ts";
import { InvalidStepError } from "./errors.ts";
import { MIN_SIGNING_KEY_LENGTH, sign } from "./signing.ts";

/** Longest a token stays open. */
const MAX_TOKEN_TIMEOUT_MS = 365 * 86_400_000;
/** Largest JSON body a completion may carry. */
export const MAX_TOKEN_DATA_BYTES = 256 * 1024;

/**
 * A token's id: `wt_`, 32 hex digits (64 random bits, then a 64-bit MAC of the deployment's),
 * `_`, and the id of the run that created it, so a completion reaches its run without an index.
 */
export const TOKEN_ID_PATTERN = /^wt_[0-9a-f]{32}_([0-9A-Za-z][0-9A-Za-z._:-]{0,199})$/;

/** The run a token belongs to, or undefined when `tokenId` is not a token id. */
export function runOfToken(tokenId: string): string | undefined {
  return TOKEN_ID_PATTERN.exec(tokenId)?.[1];
}

/** The path that completes a token (its URL without the deployment's origin). */
export const tokenPath = (tokenId: string): string => `/v1/tokens/${tokenId}/complete`;

/** A token as a run's step returns it: pass `url` to whoever completes it. */
export const waitTokenSchema = z.object({
  id: z.string().regex(TOKEN_ID_PATTERN),
  /** `POST` a JSON body here to complete the token (absolute when STEPWISE_PUBLIC_URL is set). */
  url: z.string(),
  /** ISO time after which the token is expired and its wait returns null. */
  expiresAt: z.string(),
});
export type WaitToken = z.infer<typeof waitTokenSchema>;

/** What `step.waitForToken` resolves with once the token is completed (null when it expired first). */
export interface TokenCompletion<TData = unknown> {
  tokenId: string;
  /** The completion's JSON body (null for an empty body). */
  data: TData;
  completedAt: string;
}

/** Options of `step.createToken` and of `step.waitForToken` without a token. */
export interface CreateTokenOptions {
  /** How long the token stays open (`"1h"`, `"7 days"`, milliseconds); at most a year. */
  timeout: Duration;
  /**
   * A shared secret (16+ characters) for webhooks: only completions signed with it
   * ({@link signTokenCompletion}) are taken. It is kept in the run's history, never shown.
   */
  secret?: string;
}

/** What the SDK reports for a token: when it expires, its secret, and for a wait the token it awaits. */
export const tokenSpecSchema = z.object({
  until: z.number(),
  secret: z.string().min(MIN_SIGNING_KEY_LENGTH).max(256).optional(),
  /** A wait for a token created earlier by `step.createToken` (absent: the wait creates its own). */
  tokenId: z.string().regex(TOKEN_ID_PATTERN).optional(),
});
export type TokenSpec = z.infer<typeof tokenSpecSchema>;

/** The spec of a new token, or a typed error naming the step. */
export function newTokenSpec(stepId: string, options: CreateTokenOptions, now: number): TokenSpec {
  if (typeof options !== "object" || options === null)
    throw new InvalidStepError(`Step "${stepId}" needs options with a \`timeout\``);
  const ms = toMs(options.timeout);
  if (ms <= 0 || ms > MAX_TOKEN_TIMEOUT_MS)
    throw new InvalidStepError(`Step "${stepId}": a token's timeout must be above 0 and at most a year; got ${ms} ms`);
  if (
    options.secret !== undefined &&
    (typeof options.secret !== "string" || options.secret.length < MIN_SIGNING_KEY_LENGTH)
  )
    throw new InvalidStepError(
      `Step "${stepId}": a token's secret needs at least ${MIN_SIGNING_KEY_LENGTH} characters`,
    );
  return { until: now + ms, ...(options.secret !== undefined ? { secret: options.secret } : {}) };
}

/** The spec of a wait for `token` (created earlier in the run), or a typed error. */
export function tokenWaitSpec(stepId: string, token: WaitToken): TokenSpec {
  const parsed = waitTokenSchema.safeParse(token);
  if (!parsed.success)
    throw new InvalidStepError(`step.waitForToken("${stepId}") needs a token from step.createToken or options`);
  return { until: Date.parse(parsed.data.expiresAt), tokenId: parsed.data.id };
}

/** The purpose a token completion's signature is made for (signed with the token id, so it is good for that token only). */
export const tokenPurpose = (tokenId: string) => ({ token: tokenId });

/**
 * The `x-stepwise-signature` header for completing `tokenId` with `body` (the exact text sent),
 * signed with the token's secret. Good for five minutes.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ approved: true });
 * await fetch(token.url, {
 *   method: "POST",
 *   headers: { "content-type": "application/json", "x-stepwise-signature": await signTokenCompletion(token.id, body, secret) },
 *   body,
 * });
 * ```
 */
export function signTokenCompletion(tokenId: string, body: string, secret: string, now = Date.now()): Promise<string> {
  return sign(body, secret, now, tokenPurpose(tokenId));
}
