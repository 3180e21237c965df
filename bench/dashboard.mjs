#!/usr/bin/env node
// `npm run bench:dashboard`: how fast the dashboard's runs page renders over a large run index.
// Seeds N runs into the run index of a fresh local state, then times GET /dashboard/runs under
// each filter the page offers, on Node's clock over loopback. Writes its section of
// bench/RESULTS.md (between the dashboard markers of that size).
//
// The runs reach the run-index shards the way an upgraded deployment's do: they are written into
// D1's old `runs` table with one SQL statement (fast, and no RunObject is made), and the dev
// server's start-up pass and cron ticks (asked for through `--test-scheduled`) move them into the
// shards of their functions, 10,000 a tick. How long that took is reported too.
// Options: --runs N (default 100000), --requests N per filter (default 30).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

const option = (name, fallback) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const total = option("--runs", 100_000);
const requests = option("--requests", 30);
const stateDir = mkdtempSync(join(tmpdir(), "stepwise-dash-bench-"));
const port = 8900 + Math.floor(Math.random() * 90);
const base = `http://127.0.0.1:${port}`;
const wrangler = (args) =>
  spawnSync(process.execPath, ["node_modules/wrangler/bin/wrangler.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
  });

function d1(command) {
  const result = wrangler(["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--json", "--command", command]);
  if (result.status !== 0) throw new Error(`d1 execute failed:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

const migrate = wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir]);
if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

// Runs over the last 30 days, newest every ~26 s: five functions, six event names, a realistic
// mix of statuses (80% completed, 8% failed, the rest in flight or cancelled).
const now = Date.now();
const seedStarted = performance.now();
d1(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${total})
INSERT INTO runs (id, function_id, status, event_id, event_name, attempt, parent_run_id, error, created_at, ended_at, updated_at)
SELECT printf('RUN%023d', i), 'fn-' || (i % 5),
  CASE WHEN i % 50 < 40 THEN 'completed' WHEN i % 50 < 44 THEN 'failed' WHEN i % 50 < 46 THEN 'running'
       WHEN i % 50 < 48 THEN 'sleeping' WHEN i % 50 < 49 THEN 'waiting' ELSE 'cancelled' END,
  printf('EVT%023d', i), 'bench/event-' || (i % 6), 0, NULL,
  CASE WHEN i % 50 BETWEEN 40 AND 43 THEN 'Error: step failed' END,
  ${now} - i * ${Math.floor((30 * 86_400_000) / total)},
  CASE WHEN i % 50 < 44 OR i % 50 = 49 THEN ${now} - i * ${Math.floor((30 * 86_400_000) / total)} + 50 + (i * 7919) % 5000 END,
  ${now} - i * ${Math.floor((30 * 86_400_000) / total)}
FROM n`);
const seeded = d1("SELECT count(*) AS n FROM runs")[0].results[0].n;
console.log(`seeded ${seeded} runs in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

const server = spawn(
  process.execPath,
  ["scripts/dev.mjs", "--port", String(port), "--ip", "127.0.0.1", "--test-scheduled"],
  {
    env: { ...process.env, STEPWISE_STATE_DIR: stateDir, WRANGLER_SEND_METRICS: "false" },
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
for (const deadline = Date.now() + 90_000; ;) {
  try {
    if ((await fetch(`${base}/dashboard/assets/app.css`)).ok) break;
  } catch {}
  if (Date.now() > deadline) throw new Error(`dev server did not start:\n${log}`);
  await new Promise((resolve) => setTimeout(resolve, 300));
}

// Moves D1's rows into the shards: one cron tick at a time, each waited for (its log line), until
// D1's table is empty. The start-up pass moves the first 10,000 by itself.
const moveStarted = performance.now();
const movedSoFar = () =>
  [...log.matchAll(/moved (\d+) run\(s\) from D1's index|and (\d+) run index row\(s\) from D1/g)].reduce(
    (sum, match) => sum + Number(match[1] ?? match[2]),
    0,
  );
for (let ticks = 0; ; ticks++) {
  const before = movedSoFar();
  // Two passes may overlap (the start-up one and a tick) and count a row twice: D1 says when it is done.
  if (before >= seeded && d1("SELECT count(*) AS n FROM runs")[0].results[0].n === 0) break;
  const lines = log.length;
  // A tick whose answer does not come (the local proxy can drop one) is asked for again.
  const tick = await fetch(`${base}/__scheduled?cron=${encodeURIComponent("*/10 * * * *")}`, {
    signal: AbortSignal.timeout(30_000),
  }).then(
    (response) => response.text(),
    (error) => console.log(`a tick was not answered (${error}); asking again`),
  );
  if (tick === undefined) continue;
  for (const deadline = Date.now() + 120_000; movedSoFar() === before;) {
    if (/moving D1's (events, keys or )?run/.test(log.slice(lines)))
      throw new Error(`moving failed:\n${log.slice(lines)}`);
    if (Date.now() > deadline) throw new Error(`a tick moved nothing in 120 s:\n${log.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (ticks % 10 === 0) console.log(`moved ${movedSoFar()} of ${seeded} runs into the shards`);
}
const moveSeconds = (performance.now() - moveStarted) / 1000;
console.log(`moved ${seeded} runs into the run-index shards in ${moveSeconds.toFixed(1)} s`);

const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];

/** Times `requests` sequential loads of a page (after two warm-ups), reading the whole body. */
async function timePage(path) {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < requests + 2; i++) {
    const started = performance.now();
    const response = await fetch(base + path);
    const html = await response.text();
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${html.slice(0, 300)}`);
    if (i >= 2) times.push(performance.now() - started);
    bytes = html.length;
  }
  return { path, p50: percentile(times, 50), p95: percentile(times, 95), max: Math.max(...times), bytes };
}

// A cursor deep in the index: the position of the 50,000th newest run.
const deep = Buffer.from(
  JSON.stringify([now - 50_000 * Math.floor((30 * 86_400_000) / total), "RUN00000000000000000050000"]),
).toString("base64url");
const scenarios = [
  ["newest runs, no filter", "/dashboard/runs"],
  ["status = failed", "/dashboard/runs?status=failed"],
  ["function", "/dashboard/runs?function=fn-3"],
  ["function + status", "/dashboard/runs?function=fn-3&status=failed"],
  ["event name", "/dashboard/runs?event=bench%2Fevent-2"],
  ["last 24 h", "/dashboard/runs?range=24h"],
  ["function + last 7 days", "/dashboard/runs?function=fn-1&range=7d"],
  ["page at the 50,000th run (cursor)", `/dashboard/runs?cursor=${deep}`],
  ["search by event id", "/dashboard/runs?q=EVT00000000000000000077777"],
  // The other pages (the functions page reads every function's index shards, as a metrics scrape does).
  ["functions (24 h figures of each)", "/dashboard/functions"],
  ["one function", "/dashboard/functions/onboard-user"],
  ["events", "/dashboard/events"],
  ["schedules", "/dashboard/schedules"],
  ["alerts", "/dashboard/alerts"],
];
const results = [];
for (const [label, path] of scenarios) {
  const result = { label, ...(await timePage(path)) };
  results.push(result);
  console.log(
    `${label}: p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms, max ${result.max.toFixed(1)} ms (${result.bytes} bytes)`,
  );
}
const worst = Math.max(...results.map((result) => result.p95));

const marker = `dashboard-${total}`;
const section = `<!-- ${marker} -->
## Dashboard: its pages over ${total.toLocaleString("en-US")} runs

Command: \`npm run bench:dashboard -- --runs ${total}\` (\`node bench/dashboard.mjs --runs ${total} --requests ${requests}\`), ${new Date().toISOString().slice(0, 10)},
on ${cpus().length} cores, Node ${process.version}. ${seeded.toLocaleString("en-US")} runs (five functions, six event names,
80% completed, 8% failed, spread over 30 days) written into D1's old \`runs\` table, then moved into
the run-index shards (8 per function) by a fresh \`npm run dev\`'s start-up pass and cron ticks in
${moveSeconds.toFixed(0)} s (${Math.round(seeded / moveSeconds).toLocaleString("en-US")} runs/s), as an upgraded deployment's are. Each page loaded
${requests} times in a row after two warm-ups, timed on Node's clock from request to the last byte
of HTML (50 runs per page, counts per status for the same filter).

| page | p50 | p95 | max |
|---|---|---|---|
${results.map((r) => `| ${r.label} | ${r.p50.toFixed(1)} ms | ${r.p95.toFixed(1)} ms | ${r.max.toFixed(1)} ms |`).join("\n")}

Target: under 200 ms. Worst p95: **${worst.toFixed(1)} ms** (${worst < 200 ? "met" : "not met"}). Pages merge
the shards' keyset pages; counts add the shards' hourly counters and read rows only for a window's
partial edge hours or an event filter (query plans asserted by test/run-index-shards.test.ts and
test/dashboard-live.test.ts).
<!-- /${marker} -->`;

const file = "bench/RESULTS.md";
const existing = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
const marked = new RegExp(`<!-- ${marker} -->[\\s\\S]*<!-- /${marker} -->`);
writeFileSync(
  file,
  marked.test(existing) ? existing.replace(marked, section) : `${existing.trimEnd()}\n\n${section}\n`,
);
console.log(`wrote the dashboard section of ${file}`);
process.exit(0);
