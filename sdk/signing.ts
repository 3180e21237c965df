/**
 * Signing of the requests Stepwise sends to apps and of their answers: HMAC-SHA256 over the
 * timestamp, what the message is (a request and its method, or the answer to one request) and
 * the body, with a key both sides hold. A signature is good for five minutes, and a fallback key
 * is accepted beside the current one so keys can be rotated without downtime. Because the purpose
 * is signed, a request cannot be replayed as another method, nor an answer passed off as the
 * answer to another request. Every request also carries a nonce, signed with it, that its
 * receiver accepts once (./replay-guard.ts): a request captured in flight cannot be sent again.
 * Both the engine and the SDK use this file; it is part of the protocol.
 */

/** The header that carries a signature: `t=<unix seconds>,n=<nonce>,v1=<hex HMAC>` (no nonce on answers). */
export const SIGNATURE_HEADER = "x-stepwise-signature";
/** Shortest signing key either side accepts. */
export const MIN_SIGNING_KEY_LENGTH = 16;

/**
 * What a signature is for: a request by its method, the answer to the request signed `v1`, or the
 * completion of a wait token (by its id).
 */
export type SignaturePurpose = { request: string } | { answerTo: string } | { token: string };

const purposeText = (purpose: SignaturePurpose): string =>
  "request" in purpose
    ? `req:${purpose.request.toUpperCase()}`
    : "answerTo" in purpose
      ? `res:${purpose.answerTo}`
      : `tok:${purpose.token}`;

/** The hex HMAC part of a signature header, which an answer's purpose names. */
export function signatureValue(header: string | null | undefined): string {
  return /v1=([0-9a-f]{64})/.exec(header ?? "")?.[1] ?? "";
}
/** How far a signature's time may be from the verifier's clock. */
const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

const encoder = new TextEncoder();

/** Imported keys, by key text: importing costs more than signing a small body. */
const imported = new Map<string, Promise<CryptoKey>>();

function hmacKey(key: string): Promise<CryptoKey> {
  let cryptoKey = imported.get(key);
  if (!cryptoKey) {
    if (imported.size >= 16) imported.clear();
    cryptoKey = crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    imported.set(key, cryptoKey);
  }
  return cryptoKey;
}

/** HMAC-SHA256 of `text` under `key`, as hex (the key's import is cached). */
export async function hmacHex(key: string, text: string): Promise<string> {
  const cryptoKey = await hmacKey(key);
  const bytes = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(text)));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Whether two strings are equal, in time that depends only on their length. */
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let differ = 0;
  for (let i = 0; i < a.length; i++) differ |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return differ === 0;
}

/** 128 random bits, as hex: a request's nonce. */
function newNonce(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

const signedText = (seconds: string, nonce: string | undefined, purpose: SignaturePurpose, body: string): string =>
  nonce === undefined
    ? `${seconds}.${purposeText(purpose)}.${body}`
    : `${seconds}.${nonce}.${purposeText(purpose)}.${body}`;

/** The signature header value for `body`, sent for `purpose` at `now` (ms); a request gets a fresh nonce. */
export async function sign(body: string, key: string, now: number, purpose: SignaturePurpose): Promise<string> {
  const seconds = String(Math.floor(now / 1000));
  if (!("request" in purpose))
    return `t=${seconds},v1=${await hmacHex(key, signedText(seconds, undefined, purpose, body))}`;
  const nonce = newNonce();
  return `t=${seconds},n=${nonce},v1=${await hmacHex(key, signedText(seconds, nonce, purpose, body))}`;
}

/** A signature that checked out: its nonce (requests) and until when it could be sent again. */
export interface VerifiedSignature {
  nonce: string | undefined;
  /** Epoch ms after which the signature is stale anyway, so its nonce need not be remembered. */
  expiresAt: number;
}

/**
 * Checks that one of `keys` made the signature for `purpose` within the window; a request's must
 * carry a nonce. Answers why not, or what the caller needs to accept the nonce only once.
 */
export async function checkSignature(
  header: string | null | undefined,
  body: string,
  keys: (string | undefined)[],
  now: number,
  purpose: SignaturePurpose,
): Promise<{ refused: string } | VerifiedSignature> {
  if (!header) return { refused: "the request is not signed" };
  const match = /^t=(\d{1,12})(?:,n=([0-9a-f]{32}))?,v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!match?.[1] || !match[3]) return { refused: "the signature header is malformed" };
  const [, seconds, nonce, mac] = match;
  if ("request" in purpose && nonce === undefined)
    return { refused: "the signature has no nonce (sign with a current Stepwise SDK)" };
  const at = Number(seconds) * 1000;
  if (Math.abs(now - at) > SIGNATURE_WINDOW_MS)
    return { refused: "the signature is stale (more than 5 minutes from this clock)" };
  const usable = keys.filter((key): key is string => typeof key === "string" && key !== "");
  if (usable.length === 0) return { refused: "no signing key is configured to check it" };
  let valid = false;
  for (const key of usable)
    valid = sameText(await hmacHex(key, signedText(seconds, nonce, purpose, body)), mac) || valid;
  return valid
    ? { nonce, expiresAt: at + SIGNATURE_WINDOW_MS }
    : { refused: "the signature does not match any signing key" };
}

/** Why a signature was refused, or null when it checks out (see {@link checkSignature}; no replay check). */
export async function verifySignature(
  header: string | null | undefined,
  body: string,
  keys: (string | undefined)[],
  now: number,
  purpose: SignaturePurpose,
): Promise<string | null> {
  const checked = await checkSignature(header, body, keys, now, purpose);
  return "refused" in checked ? checked.refused : null;
}
