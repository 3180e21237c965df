/**
 * Realtime subscribers of an object (a run, a stream): hibernating WebSockets tagged `sub`, each
 * opened with a subscription token the Worker has checked. A token opens one subscription, once:
 * its nonce is kept here until it expires, so a reused token is refused by the object it names.
 */

/** The tag of subscriber sockets (the dashboard's live sockets have none). */
export const SUBSCRIBER_TAG = "sub";

import {
  EXPIRY_HEADER as TOKEN_EXPIRY_HEADER,
  NONCE_HEADER as TOKEN_NONCE_HEADER,
} from "../../src/core/realtime/subscribe.ts";

const refusal = (status: number, code: string, message: string): Response =>
  Response.json({ error: { code, message } }, { status });

/** Makes the table of used nonces, dropping the expired ones. */
function usedTokens(sql: SqlStorage, now: number): void {
  sql.exec("CREATE TABLE IF NOT EXISTS used_tokens (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
  sql.exec("DELETE FROM used_tokens WHERE expires_at < ?", now);
}

/**
 * When the last nonce still kept expires (undefined: none is): an object that deletes itself
 * must wait for it, or a used token would open a second subscription.
 */
export function lastNonceExpiry(sql: SqlStorage, now: number): number | undefined {
  usedTokens(sql, now);
  const last = sql.exec("SELECT max(expires_at) AS last FROM used_tokens").one().last;
  return typeof last === "number" ? last : undefined;
}

/**
 * Takes a token's nonce once: refused when it was used before. Expired nonces are dropped as new
 * ones come, so the table holds at most the last hour's subscriptions.
 */
export function takeNonce(sql: SqlStorage, nonce: string, expiresAt: number, now: number): boolean {
  usedTokens(sql, now);
  if (sql.exec("SELECT 1 FROM used_tokens WHERE nonce = ?", nonce).toArray().length > 0) return false;
  sql.exec("INSERT INTO used_tokens (nonce, expires_at) VALUES (?, ?)", nonce, expiresAt);
  return true;
}

/**
 * Accepts a subscriber's WebSocket once its token's nonce is taken; `first` are the messages it
 * gets before anything live (a run's snapshot, a stream's replay). A request without a checked
 * token (the Worker did not forward it) or with a used one is refused.
 */
export function acceptSubscriber(ctx: DurableObjectState, request: Request, first: () => unknown[]): Response {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
    return refusal(426, "upgrade_required", "A subscription is a WebSocket");
  const nonce = request.headers.get(TOKEN_NONCE_HEADER);
  const expiresAt = Number(request.headers.get(TOKEN_EXPIRY_HEADER));
  if (!nonce || !Number.isFinite(expiresAt)) return refusal(401, "token_required", "A subscription needs a token");
  if (!takeNonce(ctx.storage.sql, nonce, expiresAt, Date.now()))
    return refusal(403, "token_used", "This subscription token was used already: a token opens one subscription");
  const { 0: client, 1: server } = new WebSocketPair();
  ctx.acceptWebSocket(server, [SUBSCRIBER_TAG]);
  for (const message of first()) server.send(JSON.stringify(message));
  return new Response(null, { status: 101, webSocket: client });
}

/** Sends each message to every subscriber; a socket closing meanwhile is the subscriber leaving. */
export function broadcast(ctx: DurableObjectState, messages: unknown[]): void {
  if (messages.length === 0) return;
  const sockets = ctx.getWebSockets(SUBSCRIBER_TAG);
  if (sockets.length === 0) return;
  const texts = messages.map((message) => JSON.stringify(message));
  for (const socket of sockets) {
    try {
      for (const text of texts) socket.send(text);
    } catch {
      // Gone; the runtime drops it.
    }
  }
}

/** Whether the object has subscribers: messages are made only for them. */
export const hasSubscribers = (ctx: DurableObjectState): boolean => ctx.getWebSockets(SUBSCRIBER_TAG).length > 0;
