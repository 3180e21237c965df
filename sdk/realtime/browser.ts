/**
 * `stepwise/realtime`: subscribing from a browser, a plain ES module with no dependencies. Your
 * backend mints a token (`stepwise.realtimeToken({ run })`) and hands it to the page; the page
 * subscribes to the run or the stream over a WebSocket (or Server-Sent Events) and, when given a
 * function for tokens, reconnects by itself, a stream resuming after the last message it saw.
 *
 * @example
 * ```ts
 * import { subscribe } from "stepwise/realtime";
 *
 * const subscription = subscribe({
 *   url: "https://stepwise.example.com",
 *   stream: `replies/${runId}`,
 *   token: () => fetch(`/api/stepwise-token?stream=replies/${runId}`).then((r) => r.text()),
 *   onMessage: (message) => message.type === "message" && append(message.data),
 * });
 * // later: subscription.close();
 * ```
 */
import type { RealtimeMessage } from "./messages.ts";

export type { RealtimeMessage, RunMessage, StreamMessage } from "./messages.ts";

/** Where a subscription stands. */
export type SubscriptionState = "connecting" | "open" | "closed";

/** Options of {@link subscribe}: what to open (`run` or `stream`), where, with which token. */
export interface SubscribeOptions {
  /** Stepwise's origin, as your deployment serves it (`https://stepwise.example.com`). */
  url: string;
  run?: string;
  stream?: string;
  /** A token from your backend, or a function that fetches one (then the subscription reconnects). */
  token: string | (() => string | Promise<string>);
  /** A stream's messages after this `seq` (0: every message still kept). */
  after?: number;
  /** `websocket` (the default) or `sse` (Server-Sent Events, for networks that block WebSockets). */
  transport?: "websocket" | "sse";
  onMessage: (message: RealtimeMessage) => void;
  onState?: (state: SubscriptionState) => void;
  onError?: (error: Error) => void;
}

/** An open subscription. */
export interface Subscription {
  /** Stops it for good (no reconnect). */
  close(): void;
}

/** Longest wait between reconnects; the first is almost at once. */
const MAX_BACKOFF_MS = 10_000;

function subscribeUrl(options: SubscribeOptions, token: string, after: number | undefined, socket: boolean): string {
  const url = new URL("/v1/realtime/subscribe", options.url);
  if (socket) url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("token", token);
  if (options.run !== undefined) url.searchParams.set("run", options.run);
  if (options.stream !== undefined) url.searchParams.set("stream", options.stream);
  if (after !== undefined && after > 0) url.searchParams.set("after", String(after));
  return url.toString();
}

/** Opens a subscription; messages go to `onMessage` in the order Stepwise sent them. */
export function subscribe(options: SubscribeOptions): Subscription {
  if ((options.run === undefined) === (options.stream === undefined))
    throw new Error("subscribe: name exactly one of `run` or `stream`");
  let closed = false;
  let failures = 0;
  let after = options.after;
  let current: { close(): void } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const canReconnect = typeof options.token === "function";

  const state = (next: SubscriptionState) => options.onState?.(next);
  const deliver = (text: string) => {
    let message: RealtimeMessage;
    try {
      message = JSON.parse(text) as RealtimeMessage;
    } catch {
      return options.onError?.(new Error(`Stepwise sent something that is not JSON: ${text.slice(0, 100)}`));
    }
    failures = 0;
    if (message.type === "message" || message.type === "live") after = message.seq;
    options.onMessage(message);
  };
  const lost = (why: string) => {
    current = undefined;
    if (closed) return;
    if (!canReconnect) {
      closed = true;
      state("closed");
      return options.onError?.(new Error(`Subscription ended: ${why}`));
    }
    state("connecting");
    const wait = Math.min(MAX_BACKOFF_MS, failures === 0 ? 100 : 500 * 2 ** failures);
    failures++;
    timer = setTimeout(() => void open(), wait);
  };

  const open = async () => {
    state("connecting");
    let token: string;
    try {
      token = typeof options.token === "function" ? await options.token() : options.token;
    } catch (error) {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
      return lost("no token");
    }
    if (closed) return;
    if (options.transport === "sse") {
      const source = new EventSource(subscribeUrl(options, token, after, false));
      current = source;
      source.addEventListener("open", () => state("open"));
      source.addEventListener("message", (event) => deliver(String((event as MessageEvent).data)));
      // EventSource would retry with the same (used) token: close it, and open anew with a fresh one.
      source.addEventListener("error", () => {
        source.close();
        lost("the event stream closed");
      });
      return;
    }
    const socket = new WebSocket(subscribeUrl(options, token, after, true));
    current = socket;
    socket.addEventListener("open", () => state("open"));
    socket.addEventListener("message", (event) => deliver(String(event.data)));
    socket.addEventListener("close", (event) =>
      lost(`closed (${event.code}${event.reason ? `: ${event.reason}` : ""})`),
    );
  };

  void open();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      current?.close();
      state("closed");
    },
  };
}
