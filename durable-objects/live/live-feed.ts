/**
 * A Durable Object's live feed for the dashboard: browsers hold a WebSocket to the object and
 * hear "something changed" as it happens. The sockets use the hibernation API, so an object
 * with watchers still sleeps between changes and a sleeping run stays free.
 */

/** How often at most a feed speaks: a run at thousands of steps a second sends a few messages. */
const LIVE_MIN_GAP_MS = 100;

/** The message watchers receive: the latest change, a sequence number where there is one. */
export interface LiveMessage {
  type: "changed";
  seq?: number;
}

/** WebSockets accepted by one Durable Object, told about changes at most every {@link LIVE_MIN_GAP_MS}. */
export class LiveFeed {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private latest: LiveMessage | undefined;
  private lastSentAt = 0;

  constructor(private readonly ctx: DurableObjectState) {}

  /** Answers a WebSocket upgrade by accepting the socket into the object; anything else is refused. */
  accept(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("This endpoint speaks WebSocket only", { status: 426, headers: { upgrade: "websocket" } });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Notes a change; watchers hear of it now, or once the gap since the last message has passed. */
  changed(message: LiveMessage): void {
    if (this.ctx.getWebSockets().every((socket) => this.ctx.getTags(socket).length > 0)) return;
    this.latest = message;
    if (this.timer) return;
    const wait = Math.max(0, this.lastSentAt + LIVE_MIN_GAP_MS - Date.now());
    if (wait === 0) return this.send();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, wait);
  }

  private send(): void {
    const message = this.latest;
    this.latest = undefined;
    if (!message) return;
    this.lastSentAt = Date.now();
    const text = JSON.stringify(message);
    for (const socket of this.ctx.getWebSockets()) {
      // Realtime subscribers (tagged) hear the run's own messages instead.
      if (this.ctx.getTags(socket).length > 0) continue;
      try {
        socket.send(text);
      } catch {
        // A socket closing under us is the browser leaving; the runtime drops it.
      }
    }
  }
}

/** Completes the closing handshake a watcher started. */
export function closeWatcher(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code === 1005 || code === 1006 ? 1000 : code, reason);
  } catch {
    // Already closed.
  }
}
