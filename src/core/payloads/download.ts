/**
 * Download links for step results kept in R2: `/v1/payloads/<ref>?exp=&sig=`, signed like
 * subscription tokens (with the API keys) and good for an hour, so a browser or a script can
 * fetch a large result without an API key, and only the one it was given.
 */
import { hmacHex, sameText } from "../../../sdk/signing.ts";
import type { Env } from "../env.ts";
import { signingKeys } from "../realtime/tokens.ts";

/** How long a download link works. */
export const DOWNLOAD_TTL_MS = 3_600_000;

const toRef = (key: string): string => btoa(key).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromRef = (ref: string): string => atob(ref.replace(/-/g, "+").replace(/_/g, "/"));
const signed = (ref: string, exp: number): string => `payload.${ref}.${exp}`;

/** A link to the object at `key`, good until `now` + an hour. */
export async function downloadUrl(env: Env, key: string, now: number): Promise<string> {
  const [signing] = signingKeys(env);
  const ref = toRef(key);
  const exp = now + DOWNLOAD_TTL_MS;
  const base = (env.STEPWISE_PUBLIC_URL ?? "").replace(/\/+$/, "");
  return `${base}/v1/payloads/${ref}?exp=${exp}&sig=${await hmacHex(signing ?? "", signed(ref, exp))}`;
}

/** The key a link opens, or why it does not (forged, expired, malformed). */
export async function checkDownload(
  env: Env,
  ref: string,
  exp: string | undefined,
  sig: string | undefined,
  now: number,
): Promise<{ key: string } | { refused: string }> {
  const expiry = Number(exp);
  if (!sig || !Number.isSafeInteger(expiry) || !/^[A-Za-z0-9_-]{1,1400}$/.test(ref))
    return { refused: "the link is malformed" };
  let valid = false;
  for (const key of signingKeys(env)) valid = sameText(await hmacHex(key, signed(ref, expiry)), sig) || valid;
  if (!valid) return { refused: "the link's signature does not match" };
  if (expiry <= now) return { refused: `the link expired at ${new Date(expiry).toISOString()}` };
  return { key: fromRef(ref) };
}
