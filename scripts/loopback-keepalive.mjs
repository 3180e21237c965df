// Preloaded (NODE_OPTIONS=--import) into the Node process of `wrangler dev` and of the test pool,
// both of which run miniflare. Keeps their HTTP servers from closing idle keep-alive connections.
//
// Why: after every batch it delivers, miniflare's local queue broker (a Durable Object inside
// workerd) logs the batch through a request to miniflare's loopback HTTP server in Node, and only
// then marks the delivery finished. Node closes a keep-alive connection after 5 s idle; a log
// request that workerd sends on a connection as Node closes it fails with "Network connection
// lost", the broker's delivery never finishes, and the local queue delivers nothing more until
// the dev server restarts (seen under sustained load: events accepted, never routed locally; see
// docs/local-development.md). Cloudflare's Queues are not affected: this only touches local tools.
import http from "node:http";

const createServer = http.createServer;
http.createServer = function createServerKeepingIdleConnections(...args) {
  const server = createServer.apply(this, args);
  // 0: no idle timeout; the client (workerd) closes connections it no longer wants.
  server.keepAliveTimeout = 0;
  return server;
};
