/**
 * Wait token ids carry a MAC, so the key-less token door turns away an id nobody minted before it
 * reaches (and brings into being) a RunObject. An id is `wt_`, 16 random hex digits, 16 hex digits
 * of HMAC-SHA256 over those and the run id, `_`, the run id: 128 bits an outsider must guess.
 *
 * Minting is synchronous (the engine decides without awaiting), hence `@noble/hashes` rather than
 * WebCrypto. Keys: STEPWISE_SIGNING_KEY, its fallback, then the API keys; the first signs and all
 * check, so a key rotates while the tokens it signed are still open by keeping it in the list.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { MIN_SIGNING_KEY_LENGTH, sameText } from "../../../sdk/signing.ts";
import { TOKEN_ID_PATTERN } from "../../../sdk/wait-tokens.ts";
import type { Env } from "../env.ts";
import { keysOf } from "../lib/keys.ts";

/** Signs ids where no key is set: development, and deployments whose door then refuses (see {@link tokenKeys}). */
export const UNKEYED_TOKEN_KEY = "stepwise-unkeyed-wait-tokens";

/** The keys token ids are signed with (the first signs); empty outside development without a key. */
export function tokenKeys(env: Env): string[] {
  const signing = [env.STEPWISE_SIGNING_KEY, env.STEPWISE_SIGNING_KEY_FALLBACK].filter(
    (key): key is string => typeof key === "string" && key.length >= MIN_SIGNING_KEY_LENGTH,
  );
  const keys = [...signing, ...keysOf(env.STEPWISE_API_KEYS)].map((key) => `wait-token:${key}`);
  if (keys.length > 0) return keys;
  return env.STEPWISE_ENV === "development" ? [UNKEYED_TOKEN_KEY] : [];
}

const macOf = (key: string, nonce: string, runId: string): string =>
  bytesToHex(hmac(sha256, utf8ToBytes(key), utf8ToBytes(`wt.${nonce}.${runId}`))).slice(0, 16);

/** A new token id for `runId`, signed with `key`. */
export function mintTokenId(runId: string, key: string): string {
  const nonce = bytesToHex(crypto.getRandomValues(new Uint8Array(8)));
  return `wt_${nonce}${macOf(key, nonce, runId)}_${runId}`;
}

/** Whether `tokenId` is a token id signed with one of `keys` (every key is tried, in constant time). */
export function tokenIdSigned(tokenId: string, keys: readonly string[]): boolean {
  const match = TOKEN_ID_PATTERN.exec(tokenId);
  const runId = match?.[1];
  if (runId === undefined) return false;
  const nonce = tokenId.slice(3, 19);
  const mac = tokenId.slice(19, 35);
  let signed = false;
  for (const key of keys) signed = sameText(macOf(key, nonce, runId), mac) || signed;
  return signed;
}
