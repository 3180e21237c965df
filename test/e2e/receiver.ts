/**
 * An HTTP server on loopback that keeps every request it gets (path, headers, body text) and
 * answers 200 with `answer`: the collector, webhook or provider a test points a server at. The
 * e2e tests read `received`; the workerd tests, which get its URL as ALERT_RECEIVER_URL
 * (vitest.config.ts), ask it over HTTP.
 * - `?fail=N&status=S` on a request: the first N requests to that path are answered S (503 by
 *   default), to try a sender's retries.
 * - `GET /received?path=P`: the requests kept for path P (without its query), as JSON.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** What the receiver answered. */
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

export async function startReceiver(answer = "{}"): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://receiver");
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      if (request.method === "GET" && url.pathname === "/received") {
        const path = url.searchParams.get("path");
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(received.filter((r) => new URL(r.path, "http://receiver").pathname === path)));
        return;
      }
      const before = received.filter((r) => new URL(r.path, "http://receiver").pathname === url.pathname).length;
      const failing = before < Number(url.searchParams.get("fail") ?? 0);
      const status = failing ? Number(url.searchParams.get("status") ?? 503) : 200;
      received.push({ path: request.url ?? "", headers: request.headers, text, status });
      response.writeHead(status, { "content-type": "application/json" });
      response.end(failing ? '{"error":"not now"}' : answer);
    });
  });
  // Neither the server nor its connections keep the test process alive once its tests end.
  server.on("connection", (socket) => socket.unref());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
