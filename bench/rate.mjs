#!/usr/bin/env node
// A plain load client: `requests` requests to `url`, `concurrency` at a time, and the rate they
// were answered at. Used to measure single-event accepts past wrangler dev's own proxy (see
// bench/RESULTS.md, "Single events, past the local proxy"), and anything else one URL shows.
// Usage: node bench/rate.mjs <url> [GET|POST] [body] [requests=1000] [concurrency=8]
const [url, method = "GET", body = "", requests = "1000", concurrency = "8"] = process.argv.slice(2);
if (!url) {
  console.error("usage: node bench/rate.mjs <url> [GET|POST] [body] [requests] [concurrency]");
  process.exit(2);
}
const total = Number(requests);
let sent = 0;
const statuses = new Map();
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (sent < total) {
      sent++;
      const response = await fetch(url, {
        method,
        headers: { "content-type": "application/json" },
        body: method === "GET" ? undefined : body,
      });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  }),
);
const rate = Math.round((total * 1000) / (performance.now() - started));
console.log(`${method} ${url}: ${rate} requests/s (${[...statuses].map(([s, n]) => `${n}× ${s}`).join(", ")})`);
