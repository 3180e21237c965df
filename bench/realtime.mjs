#!/usr/bin/env node
// `npm run bench:realtime`: realtime's latency and cost, on the benchmark Worker in `wrangler dev`.
// 1. Latency: a step publishes messages 20 ms apart, each saying when it was sent; Chromium
//    (playwright-core) subscribes with the browser client (stepwise/realtime, bundled by esbuild)
//    over a WebSocket, then over Server-Sent Events, and notes each arrival on its own clock
//    (the same machine's). Reported: p50, p99 and max of arrival − sentAt.
// 2. Cost: one run publishing 1,000 messages (piped chunks, one publish at a time, 1,000 durable
//    step.publish steps) against the same run publishing nothing; wall time from invoke to the
//    run's end, on Node's clock.
// Writes the `realtime` section of bench/RESULTS.md. Options: --messages N (latency, default 300).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:http";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const option = (name, fallback) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const messages = option("--messages", 300);
const port = 8990 + Math.floor(Math.random() * 9);
const stateDir = mkdtempSync(join(tmpdir(), "stepwise-realtime-bench-"));
const base = `http://127.0.0.1:${port}`;

const server = spawn(
  process.execPath,
  [
    "scripts/dev.mjs",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "-c",
    "bench/app.wrangler.toml",
    "-c",
    "bench/inngest-app.wrangler.toml",
  ],
  {
    env: {
      ...process.env,
      STEPWISE_STATE_DIR: stateDir,
      STEPWISE_WRANGLER_CONFIG: "bench/wrangler.toml",
      WRANGLER_SEND_METRICS: "false",
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  },
);
let log = "";
server.stdout.on("data", (chunk) => (log += chunk));
server.stderr.on("data", (chunk) => (log += chunk));
let browser;
const stop = () => {
  try {
    process.kill(-server.pid, "SIGKILL");
  } catch {}
  rmSync(stateDir, { recursive: true, force: true });
};
process.on("exit", stop);

async function call(method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

async function runToEnd(functionId, data) {
  const started = performance.now();
  const { runId } = await call("POST", `/v1/functions/${functionId}/invoke`, { data });
  for (;;) {
    const run = await call("GET", `/v1/runs/${runId}`);
    if (["completed", "failed", "cancelled"].includes(run.status)) {
      if (run.status !== "completed") throw new Error(`${functionId} ${run.status}: ${JSON.stringify(run.error)}`);
      return { ms: performance.now() - started, run };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

try {
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/dashboard/assets/app.css`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  // The browser client, as a page would load it.
  const bundle = await build({
    stdin: {
      contents: `export { subscribe } from "./sdk/realtime/browser.ts";`,
      resolveDir: process.cwd(),
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    write: false,
  });
  const clientSource = bundle.outputFiles[0].text;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  // A user's page on its own origin, loading the client as a module.
  const site = createServer((request, response) => {
    if (request.url === "/client.js") {
      response.writeHead(200, { "content-type": "text/javascript" });
      return response.end(`${clientSource}`);
    }
    response.writeHead(200, { "content-type": "text/html" });
    response.end(
      `<!doctype html><script type="module">import { subscribe } from "/client.js"; window.subscribe = subscribe;</script>`,
    );
  });
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  const page = await browser.newPage();
  await page.goto(`http://localhost:${site.address().port}/`);
  await page.waitForFunction(() => typeof window.subscribe === "function");

  const latency = [];
  for (const transport of ["websocket", "sse"]) {
    const stream = `bench/latency-${transport}-${Date.now()}`;
    const { token } = await call("POST", "/v1/realtime/tokens", { stream, ttlSeconds: 600 });
    await page.evaluate(
      ({ url, stream, token, transport }) => {
        window.arrivals = [];
        window.ready = false;
        window.subscribe({
          url,
          stream,
          token,
          transport,
          onMessage: (message) => {
            if (message.type === "live") window.ready = true;
            if (message.type === "message") window.arrivals.push(Date.now() - message.data.sentAt);
          },
        });
      },
      { url: base, stream, token, transport },
    );
    await page.waitForFunction(() => window.ready === true);
    await runToEnd("bench-publish-paced", { stream, count: messages, gapMs: 20 });
    await page.waitForFunction((n) => window.arrivals.length >= n, messages, { timeout: 60_000 });
    const sorted = (await page.evaluate(() => window.arrivals)).sort((a, b) => a - b);
    latency.push({
      transport,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1),
      n: sorted.length,
    });
    console.log(transport, latency.at(-1));
  }

  const cost = [];
  for (const how of ["none", "pipe", "each", "durable"]) {
    const samples = [];
    for (let i = 0; i < 3; i++) {
      const stream = `bench/cost-${how}-${i}-${Date.now()}`;
      samples.push((await runToEnd("bench-publish-many", { stream, count: 1000, how })).ms);
    }
    samples.sort((a, b) => a - b);
    cost.push({ how, median: samples[1], min: samples[0] });
    console.log(how, cost.at(-1));
  }
  const none = cost.find((c) => c.how === "none").median;
  const label = {
    none: "no messages (baseline)",
    pipe: "`pipe()` of 1,000 chunks (best-effort)",
    each: "1,000 × `await publish()` (best-effort)",
    durable: "1,000 × `step.publish` (durable steps)",
  };

  const section = `<!-- realtime -->
## Realtime: publish-to-browser latency, and the cost of 1,000 messages

Command: \`npm run bench:realtime\` (\`node bench/realtime.mjs --messages ${messages}\`), ${new Date().toISOString().slice(0, 10)}, on
${cpus().length} cores, Node ${process.version}, \`wrangler dev\` (workerd) and Debian's Chromium on the same machine.

**Latency.** A step publishes ${messages} messages 20 ms apart, each carrying its send time; a page
in Chromium subscribed with the browser client (\`stepwise/realtime\`) notes each arrival on its
clock. Publish → RealtimeStream object → subscriber's hibernating WebSocket (or the Worker's SSE
relay) → browser.

| transport | p50 | p99 | max | messages |
|---|---|---|---|---|
${latency.map((l) => `| ${l.transport === "sse" ? "Server-Sent Events" : "WebSocket"} | ${l.p50} ms | ${l.p99} ms | ${l.max} ms | ${l.n} |`).join("\n")}

**Cost of a run with 1,000 messages.** One run of \`bench-publish-many\`, timed from invoke to its
end as seen through the API (median of 3), against the same run publishing nothing.

| run | wall time (median) | added per message |
|---|---|---|
${cost.map((c) => `| ${label[c.how]} | ${c.median.toFixed(0)} ms | ${c.how === "none" ? "–" : `${((c.median - none) / 1000).toFixed(2)} ms`} |`).join("\n")}

\`pipe\` sends chunks that come within 15 ms of each other in one call, so 1,000 chunks cost a
few calls; a durable \`step.publish\` is a step (recorded in the history, its id derived from the
run and step), the price of exactly-once.
<!-- /realtime -->`;
  const file = "bench/RESULTS.md";
  const existing = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
  const marked = /<!-- realtime -->[\s\S]*<!-- \/realtime -->/;
  writeFileSync(
    file,
    marked.test(existing) ? existing.replace(marked, section) : `${existing.trimEnd()}\n\n${section}\n`,
  );
  console.log(`wrote the realtime section of ${file}`);
  await browser.close();
  process.exit(0);
} catch (error) {
  console.error(error);
  console.error(log.slice(-5000));
  await browser?.close();
  process.exit(1);
}
