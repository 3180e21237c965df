/**
 * Subscription tokens: a user's backend mints one (API key, or the binding) for its browser, and
 * the browser opens one realtime subscription with it, to one run or one stream. A token is
 * `<payload>.<HMAC-SHA256>`, signed with the API keys (any of them checks, so keys rotate), and
 * says its scope, its expiry and a nonce the object it opens takes once.
 */
import { z } from "zod";
import { hmacHex, sameText } from "../../../sdk/signing.ts";
import {
  realtimeScopeSchema,
  TOKEN_TTL,
  type RealtimeScope,
  type RealtimeToken,
} from "../../../sdk/realtime/messages.ts";
import type { Env } from "../env.ts";
import { keysOf } from "../lib/keys.ts";
import { ConfigError } from "../lib/config-error.ts";

const payloadSchema = z.object({ s: realtimeScopeSchema, e: z.number().int(), n: z.string().regex(/^[0-9a-f]{32}$/) });

/** The key in development without API keys: tokens still expire and open once, but anyone could mint them. */
const DEVELOPMENT_KEY = "stepwise-development-realtime-key";

/** The keys tokens (and download links) are signed with: the first signs, all check. */
export function signingKeys(env: Env): string[] {
  const keys = keysOf(env.STEPWISE_API_KEYS);
  if (keys.length > 0) return keys.map((key) => `realtime:${key}`);
  if (env.STEPWISE_ENV === "development") return [DEVELOPMENT_KEY];
  throw new ConfigError("realtime tokens are signed with the API keys: set STEPWISE_API_KEYS");
}

const base64url = (text: string): string =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

const fromBase64url = (text: string): string => {
  const bytes = Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
};

const nonce = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");

/** A token for `scope`, good for `ttlSeconds` (at most an hour). */
export async function mintToken(
  env: Env,
  scope: RealtimeScope,
  ttlSeconds: number = TOKEN_TTL.default,
): Promise<RealtimeToken> {
  const [key] = signingKeys(env);
  const expiresAt = Date.now() + Math.min(Math.max(1, ttlSeconds), TOKEN_TTL.max) * 1000;
  const payload = base64url(JSON.stringify({ s: scope, e: expiresAt, n: nonce() }));
  const token = `${payload}.${await hmacHex(key ?? "", `rt.${payload}`)}`;
  return { token, expiresAt: new Date(expiresAt).toISOString() };
}

/** A checked token: what it opens, its nonce (taken once by that object) and its expiry. */
export interface CheckedToken {
  scope: RealtimeScope;
  nonce: string;
  expiresAt: number;
}

/** The token's scope and nonce, or why it is refused (malformed, forged, expired). */
export async function checkToken(
  env: Env,
  token: string | undefined,
  now: number,
): Promise<CheckedToken | { refused: string }> {
  if (!token) return { refused: "no subscription token (pass ?token=…, minted by your backend)" };
  const [payload, mac, extra] = token.split(".");
  if (!payload || !mac || extra !== undefined || token.length > 2_048) return { refused: "the token is malformed" };
  let valid = false;
  for (const key of signingKeys(env)) valid = sameText(await hmacHex(key, `rt.${payload}`), mac) || valid;
  if (!valid) return { refused: "the token's signature does not match: it was not minted by this Stepwise" };
  let parsed: z.infer<typeof payloadSchema>;
  try {
    parsed = payloadSchema.parse(JSON.parse(fromBase64url(payload)));
  } catch {
    return { refused: "the token is malformed" };
  }
  if (parsed.e <= now) return { refused: `the token expired at ${new Date(parsed.e).toISOString()}` };
  return { scope: parsed.s, nonce: parsed.n, expiresAt: parsed.e };
}
