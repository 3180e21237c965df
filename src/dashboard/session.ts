/**
 * Dashboard sessions: after a login with an API key, the browser holds a cookie that says until
 * when it may look, signed with that key. Rotating the key away ends its sessions; the key
 * itself never leaves the login request.
 */

import { hmacHex, sameText } from "../../sdk/signing.ts";

/** How long a login lasts. */
/** The session cookie's name. */
export const SESSION_COOKIE = "stepwise_session";

export const SESSION_MS = 12 * 60 * 60 * 1000;

const sign = (key: string, expires: number): Promise<string> => hmacHex(key, `stepwise-dashboard:${expires}`);

/** A session token for a login with `key`, good until `now + SESSION_MS`. */
export async function issueSession(key: string, now: number): Promise<string> {
  const expires = now + SESSION_MS;
  return `${expires}.${await sign(key, expires)}`;
}

/** Whether `token` was issued with one of `keys` and has not expired. */
export async function sessionValid(token: string | undefined, keys: string[], now: number): Promise<boolean> {
  const match = /^(\d{13,16})\.([0-9a-f]{64})$/.exec(token ?? "");
  if (!match?.[1] || !match[2]) return false;
  const expires = Number(match[1]);
  if (expires <= now || expires > now + SESSION_MS) return false;
  let valid = false;
  for (const key of keys) valid = sameText(await sign(key, expires), match[2]) || valid;
  return valid;
}

/** Where to go after logging in: only a dashboard path, so the login form cannot send anyone elsewhere. */
export function safeNext(next: string | undefined): string {
  return next && /^\/dashboard(\/[\w\-./?=&%~]*)?$/.test(next) && !next.includes("//") ? next : "/dashboard/runs";
}
