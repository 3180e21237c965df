#!/usr/bin/env node
// `npm run bench`: starts the benchmark Worker (bench/wrangler.toml) in one `wrangler dev`, runs
// each scenario on Stepwise and on Cloudflare Workflows several times, and writes the medians to
// bench/RESULTS.md; then the events scenarios (ingestion rate, accept to first step) on Stepwise.
// Options: --repeat N (default 5); --only <path>, --remote-only and --events-only run a part and write nothing.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";

const option = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const repeat = Number(option("--repeat")) || 5;
// --only <path>: time one scenario (e.g. /bench/stepwise/three?runs=200) and write nothing.
const only = option("--only");
const port = 8790 + Math.floor(Math.random() * 100);
const stateDir = mkdtempSync(join(tmpdir(), "stepwise-bench-"));
const base = `http://127.0.0.1:${port}`;

// The remote apps (bench/app.wrangler.toml, bench/inngest-app.wrangler.toml) run in the same
// wrangler dev, bound as BENCH_APP and BENCH_INNGEST_APP.
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
const stop = () => {
  try {
    process.kill(-server.pid, "SIGKILL");
  } catch {}
  rmSync(stateDir, { recursive: true, force: true });
};
process.on("exit", stop);

async function get(path) {
  const response = await fetch(base + path);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

async function ready() {
  for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
    try {
      if ((await fetch(`${base}/v1/functions`)).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`benchmark Worker did not start:\n${log}`);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Times one request on Node's clock and hands `pick` the answer and the elapsed milliseconds. */
async function timed(path, pick) {
  const started = performance.now();
  const body = await get(path);
  return pick(body, performance.now() - started);
}

async function measure(label, path, pick) {
  await get(path); // warm-up, not counted
  const values = [];
  for (let i = 0; i < repeat; i++) values.push(await timed(path, pick));
  const result = { label, median: median(values), values };
  console.log(`${label}: median ${result.median.toFixed(1)} (${values.map((v) => v.toFixed(1)).join(", ")})`);
  return result;
}

const perSecond = (answer, ms) => (answer.steps / ms) * 1000;

/** Measures scenarios in alternation, so drifting machine load affects them alike. */
async function measureSet(labels, paths, pick) {
  for (const path of paths) await get(path);
  const values = paths.map(() => []);
  for (let i = 0; i < repeat; i++) {
    for (const [side, path] of paths.entries()) values[side].push(await timed(path, pick));
  }
  return values.map((side, index) => {
    const result = { label: labels[index], median: median(side), values: side };
    console.log(`${result.label}: median ${result.median.toFixed(1)} (${side.map((v) => v.toFixed(1)).join(", ")})`);
    return result;
  });
}

await ready();
if (only) {
  await measure(only, only, (_r, ms) => ms);
  process.exit(0);
}

/**
 * Remote apps: the sequential workload served by another Worker through a service binding, and
 * by a Node server over HTTP on loopback (bench/node-app.ts, bundled here), both registered with
 * POST /v1/apps, measured in alternation with the embedded function.
 */
async function measureRemote() {
  const { buildSync } = await import("esbuild");
  const bundle = (name) => {
    const outfile = `bench/.out/${name}.mjs`;
    buildSync({
      entryPoints: [`bench/${name}.ts`],
      outfile,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "warning",
      // The inngest package stays a package: bundled, its CommonJS dependencies cannot require Node's.
      packages: "external",
    });
    return import(join(process.cwd(), outfile));
  };
  const { startNodeApp } = await bundle("node-app");
  const { startInngestNodeApp } = await bundle("inngest-node-app");
  const nodeApp = await startNodeApp(port + 1000, "bench-signing-key-not-a-secret");
  const inngestNodeApp = await startInngestNodeApp(port + 1001, base);
  for (const target of [
    { binding: "BENCH_APP" },
    { url: nodeApp.url },
    // The Inngest apps reach Stepwise, so their SDKs checkpoint, as after their own sync.
    { binding: "BENCH_INNGEST_APP", path: "/api/inngest", protocol: "inngest", checkpoint: true },
    { url: inngestNodeApp.url, protocol: "inngest", checkpoint: true },
  ]) {
    const response = await fetch(`${base}/v1/apps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(target),
    });
    if (response.status !== 201)
      throw new Error(`registering ${JSON.stringify(target)}: ${response.status} ${await response.text()}`);
  }
  // The catalogue of remote functions is cached for up to 2 s per isolate.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const results = await measureSet(
    [
      "(d) embedded: 200 sequential steps, steps/s",
      "(d) remote app via service binding, steps/s",
      "(d) remote app via HTTP on loopback (Node), steps/s",
      "(e) Inngest app via service binding (inngest/cloudflare), steps/s",
      "(e) Inngest app via HTTP on loopback (inngest/node), steps/s",
      "(e) Inngest app via service binding, bufferedSteps: 50, steps/s",
      "(e) Inngest app via HTTP on loopback, bufferedSteps: 50, steps/s",
    ],
    [
      "/bench/stepwise/sequential?steps=200",
      "/bench/stepwise/sequential?steps=200&function=bench-binding-sequential",
      "/bench/stepwise/sequential?steps=200&function=bench-http-sequential",
      "/bench/stepwise/sequential?steps=200&function=bench-inngest-binding-sequential",
      "/bench/stepwise/sequential?steps=200&function=bench-inngest-http-sequential",
      "/bench/stepwise/sequential?steps=200&function=bench-inngest-binding-buffered",
      "/bench/stepwise/sequential?steps=200&function=bench-inngest-http-buffered",
    ],
    perSecond,
  );
  nodeApp.stop();
  inngestNodeApp.stop();
  return {
    embedded: results[0],
    binding: results[1],
    http: results[2],
    inngestBinding: results[3],
    inngestHttp: results[4],
    inngestBindingBuffered: results[5],
    inngestHttpBuffered: results[6],
  };
}
/**
 * A remote fan-out (bench/app-worker.ts behind the service binding): `n` parallel steps, timed
 * from the invoke to completed; the app counts the bytes of every call and answer of the run.
 */
async function remoteFanOut(n) {
  const started = performance.now();
  const response = await fetch(`${base}/v1/functions/bench-binding-fanout/invoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: { n } }),
  });
  if (!response.ok) throw new Error(`invoking bench-binding-fanout: ${response.status} ${await response.text()}`);
  const { runId } = await response.json();
  for (let run = await get(`/v1/runs/${runId}`); run.status !== "completed"; run = await get(`/v1/runs/${runId}`)) {
    if (run.status === "failed") throw new Error(`remote fan-out ${runId} failed: ${JSON.stringify(run.error)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const ms = performance.now() - started;
  const bytes = await get(`/bench/app-bytes?runId=${runId}`);
  return { n, ms, ...bytes, sentPerStep: bytes.sent / n, answeredPerStep: bytes.answered / n };
}

/** The remote fan-out at 20, 200 and 2,000 steps (the app is registered by measureRemote). */
async function measureRemoteFanOut() {
  const results = [];
  for (const n of [20, 200, 2_000]) {
    await remoteFanOut(n); // warm-up
    const result = await remoteFanOut(n);
    console.log(
      `remote fan-out of ${n}: ${result.ms.toFixed(0)} ms, ${result.calls} calls, ${result.sentPerStep.toFixed(0)} bytes sent and ${result.answeredPerStep.toFixed(0)} answered per step`,
    );
    results.push(result);
  }
  return results;
}

// --long-only: the 10,000-step run alone, printed, nothing written.
if (process.argv.includes("--long-only")) {
  await measureLongRun();
  process.exit(0);
}
if (process.argv.includes("--remote-only")) {
  await measureRemote();
  await measureRemoteFanOut();
  process.exit(0);
}
// --events-only: ingestion rates and accept to first step, printed, nothing written.
if (process.argv.includes("--events-only")) {
  await measureIngest("events accepted/s, batches of 100, 4 clients", 100, 50, 4);
  await measureIngest("events accepted/s, single events, 8 clients", 1, 500, 8);
  const latencies = await firstStepLatencies(Math.max(100, repeat * 40));
  console.log(
    `accept to first step: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms over ${latencies.length} events`,
  );
  process.exit(0);
}

const [seqStepwise, seqWorkflows] = await measureSet(
  ["(a) Stepwise 200 sequential steps, steps/s", "(a) Workflows 200 sequential steps, steps/s"],
  ["/bench/stepwise/sequential?steps=200", "/bench/workflows/sequential?steps=200"],
  perSecond,
);
const seq = {
  stepwise: seqStepwise,
  workflows: seqWorkflows,
  raw: await measure("raw ceiling, SQLite write + sync per step, steps/s", "/bench/raw?steps=200", perSecond),
};
const [fanStepwise, fanWorkflows] = await measureSet(
  ["(b) Stepwise 200 runs x 3 steps, ms", "(b) Workflows 200 runs x 3 steps, ms"],
  ["/bench/stepwise/three?runs=200", "/bench/workflows/three?runs=200"],
  (_r, ms) => ms,
);
const fan = { stepwise: fanStepwise, workflows: fanWorkflows };
const [sleepStepwise, sleepWorkflows] = await measureSet(
  ["(c) Stepwise 1 s sleep, ms late", "(c) Workflows 1 s sleep, ms late"],
  ["/bench/stepwise/sleep", "/bench/workflows/sleep"],
  (r) => r.lateMs,
);
const sleep = { stepwise: sleepStepwise, workflows: sleepWorkflows };
const remote = await measureRemote();
const remoteFan = await measureRemoteFanOut();

async function postEvents(events) {
  const response = await fetch(`${base}/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  if (response.status !== 202) throw new Error(`POST /v1/events: ${response.status} ${await response.text()}`);
  return (await response.json()).ids;
}

/**
 * Events accepted per second: `requests` POSTs of `batchSize` events, `concurrency` at a time.
 * No function listens to `bench/ingest`, so this is acceptance alone: validation, the D1 write
 * and the queue send that happen before the answer.
 */
async function ingestRate(batchSize, requests, concurrency) {
  let sent = 0;
  const started = performance.now();
  const client = async () => {
    while (sent < requests) {
      sent++;
      await postEvents(Array.from({ length: batchSize }, (_, i) => ({ name: "bench/ingest", data: { i } })));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return (requests * batchSize * 1000) / (performance.now() - started);
}

async function measureIngest(label, batchSize, requests, concurrency) {
  await ingestRate(batchSize, Math.min(requests, 10), concurrency);
  const values = [];
  for (let i = 0; i < repeat; i++) values.push(await ingestRate(batchSize, requests, concurrency));
  const result = { label, median: median(values), values };
  console.log(`${label}: median ${result.median.toFixed(0)} (${values.map((v) => v.toFixed(0)).join(", ")})`);
  return result;
}

function percentile(values, p) {
  return [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
}

/**
 * Accept to first step, one event at a time: from just before the POST (Node's clock) to the
 * Date.now() its run's first step reads (workerd's clock, the same wall clock on this machine).
 */
async function firstStepLatencies(count) {
  const latencies = [];
  for (let i = 0; i < count + 5; i++) {
    const sentAt = Date.now();
    const [id] = await postEvents([{ name: "bench/first-step", data: {} }]);
    let runId;
    while (!runId) {
      runId = (await get(`/v1/events/${id}`)).runs[0]?.id;
      if (!runId) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    let run = await get(`/v1/runs/${runId}`);
    while (run.status !== "completed") {
      await new Promise((resolve) => setTimeout(resolve, 5));
      run = await get(`/v1/runs/${runId}`);
    }
    if (i >= 5) latencies.push(run.output - sentAt);
  }
  return latencies;
}

/** Resident memory of the workerd processes serving the benchmark, in bytes (Linux /proc). */
function workerdRss() {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd")) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      total += rss ? Number(rss[1]) * 1024 : 0;
    } catch {
      // The process ended while it was read.
    }
  }
  return total;
}

/** The newest RunObject's SQLite storage on disk (database and its WAL), in bytes. */
function newestRunStorage() {
  const root = join(stateDir, "v3", "do");
  const dir = readdirSync(root).find((name) => name.endsWith("-RunObject"));
  if (!dir) throw new Error(`no RunObject storage under ${root}`);
  const files = readdirSync(join(root, dir)).map((name) => ({ name, stat: statSync(join(root, dir, name)) }));
  const newest = files.filter((f) => f.name.endsWith(".sqlite")).sort((a, b) => b.stat.mtimeMs - a.stat.mtimeMs)[0];
  if (!newest) throw new Error(`no RunObject database in ${dir}`);
  return files.filter((f) => f.name.startsWith(newest.name)).reduce((sum, f) => sum + f.stat.size, 0);
}

/**
 * One run of 10,000 sequential steps (the steps-per-run limit): its speed, its object's SQLite
 * storage on disk afterwards, and how much the workerd processes' resident memory grew across it
 * (the run's object stays in memory with its history folded into state; a coarse upper bound).
 */
async function measureLongRun() {
  const rssBefore = workerdRss();
  const started = performance.now();
  const answer = await get("/bench/stepwise/sequential?steps=10000");
  const ms = performance.now() - started;
  const result = {
    stepsPerSecond: (answer.steps / ms) * 1000,
    storage: newestRunStorage(),
    rssGrowth: workerdRss() - rssBefore,
  };
  console.log(
    `10,000 sequential steps: ${result.stepsPerSecond.toFixed(0)} steps/s, storage ${(result.storage / 1e6).toFixed(1)} MB, workerd RSS +${(result.rssGrowth / 1e6).toFixed(1)} MB`,
  );
  return result;
}

/** Fan-out: the process-items example with 1,000 items (concurrency 100), from invoke to completed. */
async function fanOut(items) {
  const started = performance.now();
  const response = await fetch(`${base}/v1/functions/process-items/invoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: { itemIds: Array.from({ length: items }, (_, i) => `bench-${i}`) } }),
  });
  if (!response.ok) throw new Error(`invoking process-items: ${response.status} ${await response.text()}`);
  const { runId } = await response.json();
  for (const deadline = Date.now() + 180_000; ;) {
    if (Date.now() > deadline)
      throw new Error(`process-items (${items} items) did not complete within 180 s: run ${runId}`);
    // A status poll can stall while the run's object is busy with 1,000 steps; ask again rather than wait.
    const run = await fetch(`${base}/v1/runs/${runId}`, { signal: AbortSignal.timeout(2_000) })
      .then((response) => response.json())
      .catch(() => ({ status: "unknown" }));
    if (run.status === "completed") return performance.now() - started;
    if (run.status === "failed") throw new Error(`process-items failed: ${JSON.stringify(run.error)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
await fanOut(100);
/** process-items at `items`, `times` times: the median wall time, and every run. */
async function fanOutAt(items, times) {
  const values = [];
  for (let i = 0; i < times; i++) values.push(await fanOut(items));
  const result = { items, median: median(values), values };
  console.log(
    `process-items ${items} items: median ${result.median.toFixed(0)} ms (${values.map((v) => v.toFixed(0)).join(", ")})`,
  );
  return result;
}
const fanOutSmall = await fanOutAt(100, repeat);
const fanOutResult = await fanOutAt(1_000, repeat);
const fanOutLarge = await fanOutAt(10_000, Math.min(repeat, 3));

// Speed at the limit (issue 15): long runs, and the limiter's overhead.
const [longStepwise, longWorkflows] = await measureSet(
  ["1,000 sequential steps: Stepwise, steps/s", "1,000 sequential steps: Workflows, steps/s"],
  ["/bench/stepwise/sequential?steps=1000", "/bench/workflows/sequential?steps=1000"],
  perSecond,
);
// Each answer also carries the run's own time (run.created to run.completed in its history).
const limitedRunMs = [];
const limited = await measure(
  "200 parallel 20 ms steps at concurrency 10, ms",
  "/bench/stepwise/limited?steps=200",
  (answer, ms) => (limitedRunMs.push(answer.runMs), ms),
);
const limitedRun = { median: median(limitedRunMs), values: limitedRunMs };
console.log(`the same runs' own time: median ${limitedRun.median} (${limitedRunMs.join(", ")})`);

const longRun = await measureLongRun();

const ingestBatches = await measureIngest("events accepted/s, batches of 100, 4 clients", 100, 50, 4);
const ingestSingles = await measureIngest("events accepted/s, single events, 8 clients", 1, 500, 8);
const latencies = await firstStepLatencies(Math.max(100, repeat * 40));
const p50 = percentile(latencies, 50);
const p99 = percentile(latencies, 99);
console.log(`accept to first step: p50 ${p50} ms, p99 ${p99} ms over ${latencies.length} events`);

const row = (name, r, unit, digits = 0) =>
  `| ${name} | ${r.median.toFixed(digits)} ${unit} | ${r.values.map((v) => v.toFixed(digits)).join(", ")} |`;
const ratio = (a, b) => (a / b).toFixed(2);
const date = new Date().toISOString().slice(0, 10);
const markdown = `# Benchmark results

Command: \`npm run bench\` (\`node bench/run.mjs --repeat ${repeat}\`), ${date}, on ${cpus().length} cores
(${cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}, wrangler dev (workerd) on loopback.
Stepwise and Cloudflare Workflows run in the same workerd, started once; each figure is the median
of ${repeat} runs after one warm-up run (every run listed), the two engines measured in alternation
so that drifting machine load affects both alike.

| scenario | median | runs |
|---|---|---|
${row("(a) Stepwise: one run of 200 sequential steps", seq.stepwise, "steps/s")}
${row("(a) Cloudflare Workflows: same", seq.workflows, "steps/s")}
${row("raw ceiling: bare DO, one SQLite write + storage.sync() per step", seq.raw, "steps/s")}
${row("(b) Stepwise: 200 runs x 3 steps started together, until all complete", fan.stepwise, "ms")}
${row("(b) Cloudflare Workflows: same", fan.workflows, "ms")}
${row("(c) Stepwise: lateness of a 1 s sleep", sleep.stepwise, "ms", 1)}
${row("(c) Cloudflare Workflows: same", sleep.workflows, "ms", 1)}
${row("(d) one run of 200 sequential steps, function embedded", remote.embedded, "steps/s")}
${row("(d) same, function in another Worker behind a service binding", remote.binding, "steps/s")}
${row("(d) same, function on a Node server over HTTP on loopback", remote.http, "steps/s")}
${row("(e) same, written with the inngest SDK, inngest/cloudflare behind a service binding", remote.inngestBinding, "steps/s")}
${row("(e) same, written with the inngest SDK, inngest/node over HTTP on loopback", remote.inngestHttp, "steps/s")}
${row("(e) same, inngest/cloudflare, the function's checkpointing: { bufferedSteps: 50 }", remote.inngestBindingBuffered, "steps/s")}
${row("(e) same, inngest/node, the function's checkpointing: { bufferedSteps: 50 }", remote.inngestHttpBuffered, "steps/s")}
${row("events accepted per second, batches of 100 (4 clients)", ingestBatches, "events/s")}
${row("process-items: 100 items in parallel steps, concurrency 100, until complete", fanOutSmall, "ms")}
${row("process-items: 1,000 items, same", fanOutResult, "ms")}
${row("process-items: 10,000 items, same", fanOutLarge, "ms")}
${row("one run of 1,000 sequential steps: Stepwise", longStepwise, "steps/s")}
${row("one run of 1,000 sequential steps: Cloudflare Workflows", longWorkflows, "steps/s")}
${row("200 parallel steps of 20 ms at concurrency 10 (ideal 400 ms), request to answer", limited, "ms")}
${row("same, the run's own time (run.created to run.completed in its history)", limitedRun, "ms")}
${row("events accepted per second, single events (8 clients)", ingestSingles, "events/s")}

Accept to first step, ${latencies.length} events sent one at a time: **p50 ${p50} ms, p99 ${p99} ms**.

One run of 10,000 sequential steps (the steps-per-run limit), once: ${longRun.stepsPerSecond.toFixed(0)} steps/s;
its object's SQLite storage on disk afterwards (database and WAL) ${(longRun.storage / 1e6).toFixed(1)} MB, about
${Math.round(longRun.storage / 10_000)} bytes per step; the workerd processes' resident memory grew by
${(longRun.rssGrowth / 1e6).toFixed(1)} MB across it (workerd gives a script no heap figures; this is the whole process,
so a coarse upper bound for the run's object, which holds its history folded into state while it lives).

A remote fan-out: n parallel steps of an app behind the service binding (bench/app-worker.ts),
one run each after a warm-up, the bytes counted by the app:

| steps | time | calls | bytes sent per step | bytes answered per step |
|---|---|---|---|---|
${remoteFan.map((r) => `| ${r.n} | ${r.ms.toFixed(0)} ms | ${r.calls} | ${r.sentPerStep.toFixed(0)} | ${r.answeredPerStep.toFixed(0)} |`).join("\n")}

## Against the targets

| target | measured | met |
|---|---|---|
| (a) >= 3x Cloudflare Workflows | ${ratio(seq.stepwise.median, seq.workflows.median)}x | ${seq.stepwise.median >= 3 * seq.workflows.median ? "yes" : "no"} |
| (a) >= 50% of the raw ceiling | ${((100 * seq.stepwise.median) / seq.raw.median).toFixed(0)}% | ${seq.stepwise.median >= 0.5 * seq.raw.median ? "yes" : "no"} |
| (b) >= 2x faster than Cloudflare Workflows | ${ratio(fan.workflows.median, fan.stepwise.median)}x | ${fan.workflows.median >= 2 * fan.stepwise.median ? "yes" : "no"} |
| (c) <= 10 ms late | ${sleep.stepwise.median.toFixed(1)} ms | ${sleep.stepwise.median <= 10 ? "yes" : "no"} |
| (d) service binding within 2x of embedded | ${ratio(remote.embedded.median, remote.binding.median)}x slower | ${remote.binding.median * 2 >= remote.embedded.median ? "yes" : "no"} |
| (e) Inngest app within 2x of Stepwise's app, service binding | ${ratio(remote.binding.median, remote.inngestBinding.median)}x slower | ${remote.inngestBinding.median * 2 >= remote.binding.median ? "yes" : "no"} |
| (e) Inngest app within 2x of Stepwise's app, HTTP | ${ratio(remote.http.median, remote.inngestHttp.median)}x slower | ${remote.inngestHttp.median * 2 >= remote.http.median ? "yes" : "no"} |
| accept to first step, p50 <= 5 ms and p99 <= 20 ms | p50 ${p50} ms, p99 ${p99} ms | ${p50 <= 5 && p99 <= 20 ? "yes" : "no"} |
| process-items, 1,000 items <= 1 s | ${fanOutResult.median.toFixed(0)} ms | ${fanOutResult.median <= 1_000 ? "yes" : "no"} |
| process-items, 10,000 items <= 10 s | ${fanOutLarge.median.toFixed(0)} ms | ${fanOutLarge.median <= 10_000 ? "yes" : "no"} |
| process-items, time per item flat from 100 to 10,000 items | ${[fanOutSmall, fanOutResult, fanOutLarge].map((r) => (r.median / r.items).toFixed(2)).join(" / ")} ms per item | ${fanOutLarge.median / fanOutLarge.items <= 1.25 * (fanOutResult.median / fanOutResult.items) ? "yes" : "no"} |
| remote fan-out, bytes sent per step flat (2,000 steps within 25% of 200) | ${remoteFan.map((r) => r.sentPerStep.toFixed(0)).join(" / ")} bytes per step | ${remoteFan[2].sentPerStep <= 1.25 * remoteFan[1].sentPerStep ? "yes" : "no"} |
| 1,000 sequential steps >= 10,000 steps/s | ${longStepwise.median.toFixed(0)} steps/s | ${longStepwise.median >= 10_000 ? "yes" : "no"} |
| 1,000 sequential steps no slower per step than 200 | ${longStepwise.median.toFixed(0)} vs ${seq.stepwise.median.toFixed(0)} steps/s | ${longStepwise.median >= seq.stepwise.median ? "yes" : "no"} |
| 200 x 20 ms at concurrency 10 within 10% of 400 ms, the run's own time | ${limitedRun.median.toFixed(0)} ms | ${limitedRun.median <= 440 ? "yes" : "no"} |
| same, request to answer (the run's start and 1 ms status polls included) | ${limited.median.toFixed(0)} ms | ${limited.median <= 440 ? "yes" : "no"} |

How each is measured: (a), (b) and the raw ceiling are the wall time, on Node's clock, of one
HTTP request to the benchmark Worker that starts the run(s) and answers once all have finished
(it polls the status of every unfinished run at once, in rounds 1 ms apart for one run and
20 ms apart for many). (c) is the gap between
the steps around the sleep, minus 1,000 ms: each of those steps is the first thing its invocation
does, so its Date.now() is the moment the wake-up began. The raw ceiling writes one row and awaits
\`storage.sync()\` per step.

Events: throughput is events accepted (answered 202) per second of wall time, with no function
listening, so it measures ingestion alone (validation, the D1 insert, and for a batch of 100 the
queue send; a single event is routed by the accepting Worker after its answer, which the same
two cores also serve). Accept to first step is measured one event at a time, from just before
the POST on Node's clock to the Date.now() read by the first step of the run it starts (workerd's
clock; both read this machine's wall clock, and workerd's advances at each I/O, here the RPC that
starts the run). Since 2026-12-04 a request of at most 10 events is routed by the Worker that
accepted it, without the queue hop (through the queue it was p50 10 ms, p99 20 ms).
Timed by hand with log lines on 2026-12-04, one event's path here is: about 2 ms from Node into
the Worker (wrangler's local proxy), 3 to 6 ms for the D1 insert (a bare \`SELECT 1\` takes 2 ms
on local D1), under 1 ms to plan, then 4 to 10 ms until the new run's object first runs code:
making a new Durable Object's SQLite database on this machine's disk is the largest single cost,
and with the object's storage left unmade (no table), its call took 1 ms. Making the run's
object while the event was being written (tried the same day) made both slower, as they share
the disk: p50 12 ms. So the target is not met here; the two writes that bound it (the event, then
the run's first) are the durability the design asks for.

Single events: on 2026-11-24, with the same 8 clients, skipping the queue send gave
about 215 events/s and skipping the D1 write about 118 events/s against 127 with both (measured
by hand), so each request's \`EVENTS.send\` and the consumer running in the same two-core workerd
were most of the cost. Since then the router also hands every event to its WaitIndex (one more
object call per event, for \`waitForEvent\`), and single events are routed by the accepting
Worker, in the same workerd. Send batches where you can: a batch of 100 costs one D1 transaction
and one \`sendBatch\`.

Remote fan-out: an app whose SDK names the \`run-steps\` feature runs planned parallel steps 25 to
a call, and each call carries the memo as it stood when its steps were planned, not the outcomes
of the siblings that ended since; so the bytes sent per step do not grow with n. Before
2026-12-04 each planned step was a call of its own carrying every outcome so far (about
n² / 2 outcomes sent for n steps).

(d) remote apps: the same 200-step function served with \`serve()\` by a second Worker in the
same wrangler dev (bench/app.wrangler.toml, reached through a service binding) and by a Node HTTP
server on loopback (bench/node-app.ts), each registered with \`POST /v1/apps\`, measured in
alternation with the embedded copy. Every call is signed and its answer verified (HMAC-SHA256).
A call that runs a new step goes on to the following steps for up to 50 ms
(\`STEPWISE_REMOTE_BATCH_MS\`) and reports them together, so a sequential run needs a round trip
per batch rather than per step. One step per call (\`STEPWISE_REMOTE_BATCH_MS=0\`; timed by hand
with curl on 2026-11-29, not by this script) gave about 620 steps/s through the service binding,
an order of magnitude below embedded: each round trip, with the output gate's wait for the
previous step's write, costs about 1.5 ms locally.

(e) Inngest apps: the same 200 steps written with the official \`inngest\` SDK (bench/inngest-functions.ts),
served unchanged by \`inngest/cloudflare\` in a third Worker (bench/inngest-app.wrangler.toml, reached
through a service binding) and by \`inngest/node\` on loopback (bench/inngest-node-app.ts), in cloud
mode (every call signed and checked both ways). Both reach Stepwise, so their SDKs checkpoint: a
call runs step after step, and the SDK reports each to \`POST /v1/checkpoint/:runId/async\` and
waits for it to be recorded (its default, one step per checkpoint) before the next. Without
checkpointing (an app synced in band without \`checkpoint: true\`) every step is a call of its own in
which the SDK replays every step before it, so 200 steps cost 200 calls and about 20,000 replayed
steps: 44 and 37 steps/s on 2026-12-04. The SDK itself, in Node with checkpoints answered at once,
runs the 200 steps in about 90 ms (2,200 steps/s): that and one round trip per step bound this
figure. The last two (e) rows are the same function with Inngest's own option
\`checkpointing: { bufferedSteps: 50 }\` (a changed line in the app): one checkpoint per 50 steps.

process-items (the fan-out example): one run whose 100, 1,000 or 10,000 items are parallel steps
under \`concurrency: 100\`, each waiting 5 ms and recording its effect in D1, timed from the invoke to
\`completed\`. The run asks the ConcurrencyLimiter once for as many slots as its limit allows and
keeps them for the drive; its planned steps then run in one call of the handler (one replay),
as a sliding window: each step that ends is recorded and its slot goes at once to the next
planned step, in the same call. Sequential steps of an embedded function run live: the
handler runs once and goes on from step to step, each recorded as it ends, so a run's cost is
linear in its steps (1,000-step rows). The limiter rows are 200 steps of 20 ms under
\`concurrency: 10\`, ideally 400 ms: the request's time (the benchmark Worker starts the run and
polls its status every 1 ms until it completes, so the new object's start and the last poll are
in it) and the run's own (run.created to run.completed in its history). A 20 ms timer in workerd
fires about 21 ms after it is set, which alone makes each lane's 20 steps take about 420 ms.

Why Stepwise can pass the "ceiling": it does not await \`storage.sync()\` per step. A step's
result is written in the same synchronous block that records it, and the Durable Object's output
gate holds every message leaving the object (including the next step's own fetches) until those
writes are durable; so a result is never acknowledged, nor a side effect of a later step sent,
before it is on disk. Waiting for each sync explicitly would add nothing but latency.
`;
// The dashboard's and the soak's sections come from bench/dashboard.mjs and bench/soak.mjs; they are kept as they are.
const previous = existsSync("bench/RESULTS.md") ? readFileSync("bench/RESULTS.md", "utf8") : "";
const kept = ["dashboard", "soak"]
  .map((name) => new RegExp(`<!-- ${name} -->[\\s\\S]*<!-- \\/${name} -->`).exec(previous)?.[0])
  .filter(Boolean);
writeFileSync("bench/RESULTS.md", [markdown.trimEnd(), ...kept].join("\n\n") + "\n");
console.log("wrote bench/RESULTS.md");
process.exit(0);
