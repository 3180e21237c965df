/**
 * Inngest's signatures, as the official `inngest` SDK checks and makes them (../shared/
 * INNGEST-PROTOCOL.md §4), so an unchanged Inngest app trusts Stepwise and Stepwise trusts it.
 *
 * - A request to the app is signed over the RFC 8785 canonical form of its JSON body (the SDK
 *   parses the body and canonicalizes it again before checking), with the key's text after its
 *   `signkey-<env>-` prefix: `t=<seconds>&s=<hex HMAC-SHA256(key, body + t)>`, valid ±5 minutes.
 * - The app's answer is signed the same way over its raw body.
 * - The app proves its key to Stepwise (`POST /fn/register`) with a Bearer token: the prefix, then
 *   the SHA-256 of the key's hex-decoded bytes.
 */
import canonicalize from "canonicalize";
import { hmacHex, sameText } from "../../../sdk/signing.ts";

/** How far a signature's time may be from now, either way (the SDK's window). */
const SIGNATURE_WINDOW_MS = 5 * 60_000;
const PREFIX = /^signkey-\w+-/;

/** The RFC 8785 (JCS) form of a JSON value: the bytes Inngest signs and checks. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("Only JSON values have a canonical form");
  return text;
}

/** The key's text that signatures are made with: the key without its `signkey-<env>-` prefix. */
const signingText = (key: string): string => key.replace(PREFIX, "");

/** The `x-inngest-signature` value for `body` (the exact text sent, or its canonical form) at `now` (ms). */
export async function signInngest(body: string, key: string, now: number): Promise<string> {
  const seconds = String(Math.floor(now / 1000));
  return `t=${seconds}&s=${await hmacHex(signingText(key), body + seconds)}`;
}

/**
 * Checks an `x-inngest-signature` over `body` against each of `keys` (the current key, then the
 * fallback). Answers null when one of them made it within the window, or why not.
 */
export async function verifyInngest(
  header: string | null,
  body: string,
  keys: string[],
  now: number,
): Promise<string | null> {
  if (!header) return "no x-inngest-signature header";
  const parts = new URLSearchParams(header);
  const seconds = parts.get("t");
  const signature = parts.get("s");
  if (!seconds || !signature || !/^\d+$/.test(seconds)) return "the x-inngest-signature header is not t=…&s=…";
  if (Math.abs(now - Number(seconds) * 1000) > SIGNATURE_WINDOW_MS)
    return "the signature is more than 5 minutes from now";
  for (const key of keys) {
    if (sameText(await hmacHex(signingText(key), body + seconds), signature)) return null;
  }
  return "the signature was not made with this Stepwise's INNGEST_SIGNING_KEY";
}

/** The key's bytes, as Inngest's SDK reads hex: other characters dropped, an odd length padded with a leading 0. */
function hexBytes(hex: string): Uint8Array {
  const digits = hex.replace(/[^0-9a-fA-F]/g, "");
  const even = digits.length % 2 === 0 ? digits : `0${digits}`;
  const bytes = new Uint8Array(even.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(even.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** The Bearer token an app holding `key` sends: its prefix, then hex SHA-256 of the key's bytes. */
export async function hashSigningKey(key: string): Promise<string> {
  const prefix = PREFIX.exec(key)?.[0] ?? "";
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", hexBytes(key.slice(prefix.length))));
  return prefix + Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Whether an `Authorization` header proves one of `keys`: the Bearer token is a key's hash (what
 * the SDK sends) or, as Inngest's server also accepts, the key itself. Compared in constant time.
 */
export async function bearerAccepted(authorization: string | null, keys: string[]): Promise<boolean> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) return false;
  let accepted = false;
  for (const key of keys) {
    const hashed = await hashSigningKey(key);
    accepted =
      sameText(signingText(hashed), signingText(token)) || sameText(signingText(key), signingText(token)) || accepted;
  }
  return accepted;
}
