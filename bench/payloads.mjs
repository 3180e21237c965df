#!/usr/bin/env node
// `npm run bench:payloads`: what a large step result adds. One run makes a result of N bytes in a
// step and reads it in the next; timed from invoke to the run's end on Node's clock (median of 5),
// for 1 KiB (kept in the history) and 20 MiB (put in R2, read back for the next step's replay).
// Writes the `payloads` section of bench/RESULTS.md.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

const port = 8980 + Math.floor(Math.random() * 9);
const stateDir = mkdtempSync(join(tmpdir(), "stepwise-payload-bench-"));
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
process.on("exit", () => {
  try {
    process.kill(-server.pid, "SIGKILL");
  } catch {}
  rmSync(stateDir, { recursive: true, force: true });
});

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

async function timed(bytes) {
  const started = performance.now();
  const { runId } = await call("POST", "/v1/functions/bench-large-result/invoke", { data: { bytes } });
  for (;;) {
    const { status, output, error } = await call("GET", `/v1/runs/${runId}`);
    if (status === "completed") {
      if (output !== bytes) throw new Error(`wrong length ${output}`);
      return performance.now() - started;
    }
    if (status === "failed") throw new Error(JSON.stringify(error));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

try {
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/dashboard/assets/app.css`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const sizes = [
    { label: "1 KiB (in the history)", bytes: 1024 },
    { label: "20 MiB (in R2)", bytes: 20 * 1024 * 1024 },
  ];
  const rows = [];
  for (const size of sizes) {
    await timed(size.bytes); // warm-up
    const samples = [];
    for (let i = 0; i < 5; i++) samples.push(await timed(size.bytes));
    samples.sort((a, b) => a - b);
    rows.push({ ...size, median: samples[2], min: samples[0], max: samples[4] });
    console.log(rows.at(-1));
  }
  const added = rows[1].median - rows[0].median;
  const section = `<!-- payloads -->
## Large step results: what a 20 MiB result adds

Command: \`npm run bench:payloads\` (\`node bench/payloads.mjs\`), ${new Date().toISOString().slice(0, 10)}, on ${cpus().length} cores,
Node ${process.version}, \`wrangler dev\` (workerd, local R2). One run: a step returns a string of the
size below, the next step reads it (so the run's replay needs the value); timed from invoke to
the run's end as seen through the API, median of 5 after a warm-up.

| result | median | min | max |
|---|---|---|---|
${rows.map((r) => `| ${r.label} | ${r.median.toFixed(0)} ms | ${r.min.toFixed(0)} ms | ${r.max.toFixed(0)} ms |`).join("\n")}

A 20 MiB result adds **${added.toFixed(0)} ms** (${(added / 20).toFixed(1)} ms per MiB): serializing and measuring it,
the R2 put before the step is recorded, and handing it to the next step's replay, which takes it
from the RunObject's memory (it keeps 64 MiB of the results it wrote or read); an evicted object
reads it from R2 instead.
<!-- /payloads -->`;
  const file = "bench/RESULTS.md";
  const existing = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
  const marked = /<!-- payloads -->[\s\S]*<!-- \/payloads -->/;
  writeFileSync(
    file,
    marked.test(existing) ? existing.replace(marked, section) : `${existing.trimEnd()}\n\n${section}\n`,
  );
  console.log(`wrote the payloads section of ${file}`);
  process.exit(0);
} catch (error) {
  console.error(error);
  console.error(log.slice(-5000));
  process.exit(1);
}
