/**
 * Completing a wait token, for every door (its URL, the API, the binding, the dashboard): the
 * token id names the run, so the body goes straight to that RunObject, which takes it once.
 */
import { z } from "zod";
import type { RpcAnswer, TokenCompleted } from "../../../sdk/binding.ts";
import { MAX_TOKEN_DATA_BYTES, runOfToken, TOKEN_ID_PATTERN } from "../../../sdk/wait-tokens.ts";
import type { Env } from "../env.ts";
import { formatBytes } from "../lib/json-size.ts";
import { runObject } from "../objects.ts";
import { tokenIdSigned, tokenKeys } from "./token-ids.ts";

/** What a RunObject is asked to take: the body exactly as sent (a signature covers those bytes). */
export const tokenCompletionInputSchema = z.object({
  tokenId: z.string().regex(TOKEN_ID_PATTERN),
  text: z.string().max(MAX_TOKEN_DATA_BYTES),
  signature: z.string().max(512).nullable(),
  /** An operator's completion (API key, dashboard session): a token's secret is not asked for. */
  trusted: z.boolean(),
});
export type TokenCompletionInput = z.infer<typeof tokenCompletionInputSchema>;

export type TokenCompletionAnswer = RpcAnswer<TokenCompleted>;

const refuse = (code: string, status: number, message: string): TokenCompletionAnswer => ({
  ok: false,
  refusal: { code, status, message },
});

/**
 * The run behind a token id that came through the key-less door, or why it is refused: not a
 * token id, or not one this deployment minted (404, before any RunObject is touched), or no key
 * to check it with (503: a deployment must set STEPWISE_SIGNING_KEY or STEPWISE_API_KEYS).
 */
export function runOfPublicToken(
  env: Env,
  tokenId: string,
): { runId: string } | { refusal: { code: string; status: number; message: string } } {
  const runId = runOfToken(tokenId);
  const keys = tokenKeys(env);
  if (runId !== undefined && keys.length === 0) {
    const message =
      "Wait token URLs are checked with STEPWISE_SIGNING_KEY or STEPWISE_API_KEYS, and this deployment has neither: set one (wrangler secret put STEPWISE_SIGNING_KEY)";
    return { refusal: { code: "config_error", status: 503, message } };
  }
  if (runId === undefined || !tokenIdSigned(tokenId, keys))
    return { refusal: { code: "token_not_found", status: 404, message: `No wait token ${tokenId.slice(0, 300)}` } };
  return { runId };
}

/**
 * Completes `tokenId` with `text` (a JSON body; empty means null). Refused with a clear reason:
 * not a token id or, from the key-less door, one this deployment did not mint (404), a body over the limit (413) or not JSON (400), and what the run refuses
 * (completed 409, expired 410, a bad signature 401).
 */
export async function completeToken(
  env: Env,
  tokenId: string,
  text: string,
  signature: string | null,
  trusted: boolean,
): Promise<TokenCompletionAnswer> {
  const runId = runOfToken(tokenId);
  if (runId === undefined) return refuse("token_not_found", 404, `"${tokenId.slice(0, 300)}" is not a wait token id`);
  if (!trusted) {
    const door = runOfPublicToken(env, tokenId);
    if ("refusal" in door) return { ok: false, refusal: door.refusal };
  }
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes > MAX_TOKEN_DATA_BYTES)
    return refuse(
      "payload_too_large",
      413,
      `A token completion's body is ${formatBytes(bytes)}; the limit is ${formatBytes(MAX_TOKEN_DATA_BYTES)}`,
    );
  if (text.trim() !== "") {
    try {
      JSON.parse(text);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return refuse("invalid_json", 400, `A token completion's body must be JSON: ${why}`);
    }
  }
  return runObject(env, runId).completeToken({ tokenId, text, signature, trusted });
}
