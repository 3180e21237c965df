/**
 * Opening a realtime subscription on the object a token names (a run's RunObject, a stream's
 * RealtimeStream): the Worker forwards a WebSocket upgrade with the token's nonce, and the object
 * takes the nonce once. For Server-Sent Events and the binding, the Worker holds that WebSocket
 * itself and re-sends each message: the object still hibernates between messages.
 */
import type { RealtimeScope } from "../../../sdk/realtime/messages.ts";
import type { Env } from "../env.ts";
import { realtimeStream, runObject } from "../objects.ts";

/** Headers the object reads (durable-objects/realtime/subscribers.ts): the checked token. */
export const NONCE_HEADER = "x-stepwise-token-nonce";
export const EXPIRY_HEADER = "x-stepwise-token-expires";

/** A subscription's opening: which object, from which `seq` (streams), with which nonce. */
export interface Opening {
  scope: RealtimeScope;
  nonce: string;
  expiresAt: number;
  after?: number | undefined;
}

/** The object's answer to the upgrade: 101 with its socket, or its refusal (404 no run, 403 token used). */
export function openSubscription(env: Env, opening: Opening): Promise<Response> {
  const query = opening.after ? `?after=${opening.after}` : "";
  const init = {
    headers: { upgrade: "websocket", [NONCE_HEADER]: opening.nonce, [EXPIRY_HEADER]: String(opening.expiresAt) },
  };
  if ("run" in opening.scope) return runObject(env, opening.scope.run).fetch(`https://run/subscribe${query}`, init);
  return realtimeStream(env, opening.scope.stream).fetch(`https://stream/subscribe${query}`, init);
}

const encoder = new TextEncoder();
/** A comment line every so often keeps proxies from closing an idle event stream. */
const KEEPALIVE_MS = 25_000;

/**
 * The object's messages as a byte stream, each framed by `frame` (SSE's `data:` lines, or NDJSON),
 * from a socket the Worker accepted. Cancelling the stream (the subscriber left) closes the socket.
 */
export function relay(
  socket: WebSocket,
  frame: (text: string) => string,
  keepalive?: string,
): ReadableStream<Uint8Array> {
  let timer: ReturnType<typeof setInterval> | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      socket.accept();
      socket.addEventListener("message", (event) => {
        const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
        try {
          controller.enqueue(encoder.encode(frame(text)));
        } catch {
          socket.close(1000, "subscriber left");
        }
      });
      socket.addEventListener("close", () => {
        if (timer) clearInterval(timer);
        try {
          controller.close();
        } catch {
          // Already closed by the subscriber.
        }
      });
      if (keepalive)
        timer = setInterval(() => {
          try {
            controller.enqueue(encoder.encode(keepalive));
          } catch {
            if (timer) clearInterval(timer);
          }
        }, KEEPALIVE_MS);
    },
    cancel() {
      if (timer) clearInterval(timer);
      socket.close(1000, "subscriber left");
    },
  });
}

/** Server-Sent Events: one `data:` line per message (messages are one-line JSON). */
export const sseFrame = (text: string): string => `data: ${text}\n\n`;
export const SSE_KEEPALIVE = ": keepalive\n\n";
/** Newline-delimited JSON, for a Worker reading over the binding. */
export const ndjsonFrame = (text: string): string => `${text}\n`;
