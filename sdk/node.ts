/**
 * Serving functions from Node's `http` server: an adapter from Node's request and response to
 * the Web-standard Request and Response that `serve()` speaks. Written against the small part
 * of Node's types it uses, so the SDK needs no Node typings.
 *
 *   http.createServer(toNodeListener(serve({ client, functions, signingKey }))).listen(3000)
 */
import type { ServeHandler } from "./serve.ts";

/** The part of Node's IncomingMessage the adapter reads. */
export interface NodeRequest extends AsyncIterable<Uint8Array | string> {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** The part of Node's ServerResponse the adapter writes. */
export interface NodeResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body?: Uint8Array | string): unknown;
}

/** Largest request body the adapter reads (Stepwise's requests carry a run's memoized steps). */
export const MAX_NODE_BODY_BYTES = 64 * 1024 * 1024;

async function readBody(request: NodeRequest): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    size += bytes.byteLength;
    if (size > MAX_NODE_BODY_BYTES) throw new Error(`request body over ${MAX_NODE_BODY_BYTES} bytes`);
    chunks.push(bytes);
  }
  if (chunks.length === 0) return undefined;
  const body = new Uint8Array(new ArrayBuffer(size));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** A Node `request` listener that answers with `handler`. */
export function toNodeListener(handler: ServeHandler): (request: NodeRequest, response: NodeResponse) => void {
  return (request, response) => {
    void (async () => {
      try {
        const headers = new Headers();
        for (const [name, value] of Object.entries(request.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
        }
        const method = request.method ?? "GET";
        const url = new URL(request.url ?? "/", `http://${headers.get("host") ?? "localhost"}`);
        const body = method === "GET" || method === "HEAD" ? undefined : await readBody(request);
        const answer = await handler(new Request(url, { method, headers, ...(body ? { body } : {}) }));
        const outgoing: Record<string, string> = {};
        answer.headers.forEach((value, name) => (outgoing[name] = value));
        response.writeHead(answer.status, outgoing);
        response.end(new Uint8Array(await answer.arrayBuffer()));
      } catch (error) {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(
          JSON.stringify({
            error: { code: "internal_error", message: error instanceof Error ? error.message : String(error) },
          }),
        );
      }
    })();
  };
}
