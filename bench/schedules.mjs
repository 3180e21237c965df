#!/usr/bin/env node
// `npm run bench:schedules`: many schedules made at run time, all ticking in the same minute, on
// the benchmark Worker in `wrangler dev`.
// 1. Creates N schedules (`POST /v1/schedules`, 50 tenants, a dedup key each), C at a time, all on
//    one daily cron naming a minute a little after they will all exist; reports the rate and each
//    request's latency.
// 2. At that minute all N tick at once (each once), each in its own CronScheduler. Reports how
//    late each tick's run was created (run createdAt − the minute), and when the last of them ended.
// 3. Times the listings (`GET /v1/schedules?tenant=`, the dashboard's schedules page).
// 4. Deletes them all, C at a time; reports the rate.
// Writes the `schedules` section of bench/RESULTS.md. Options: --schedules N (2000), --concurrency C (16).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

const option = (name, fallback) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const total = option("--schedules", 2_000);
const concurrency = option("--concurrency", 16);
const port = 8960 + Math.floor(Math.random() * 20);
const stateDir = mkdtempSync(join(tmpdir(), "stepwise-schedules-bench-"));
const base = `http://127.0.0.1:${port}`;
const FUNCTION = "bench-three";

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
server.stdout.on("data", (chunk) => (log = (log + chunk).slice(-200_000)));
server.stderr.on("data", (chunk) => (log = (log + chunk).slice(-200_000)));
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

async function call(method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: not JSON: ${text.slice(0, 300)}`);
  }
}

const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
const ms = (value) => `${value.toFixed(1)} ms`;

/** Runs `task(i)` for i < n, `concurrency` at a time; answers each call's latency and the wall time. */
async function pool(n, task) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const at = performance.now();
      await task(i);
      latencies.push(performance.now() - at);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, seconds: (performance.now() - started) / 1_000 };
}

// 1. Create, on a daily cron at a minute after the last will be made (about 25 ms each, and a margin).
const minute = Math.ceil((Date.now() + total * 25 + 45_000) / 60_000) * 60_000;
const at = new Date(minute);
const cron = `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
const ids = [];
const created = await pool(total, async (i) => {
  const schedule = await call("POST", "/v1/schedules", {
    functionId: FUNCTION,
    cron,
    tenant: `tenant-${i % 50}`,
    key: `bench-${i}`,
    data: { i },
  });
  ids[i] = schedule.id;
});
console.log(
  `created ${total} schedules in ${created.seconds.toFixed(1)} s (${Math.round(total / created.seconds)}/s), p50 ${ms(percentile(created.latencies, 50))}, p95 ${ms(percentile(created.latencies, 95))}`,
);

// 2. Every schedule ticks at that minute.
if (Date.now() > minute - 2_000) throw new Error(`creating took past ${at.toISOString()}: run with fewer --schedules`);
console.log(`waiting for the tick of ${at.toISOString()} (cron "${cron}")`);

/** The runs of FUNCTION created at or after the minute (and before the next), every page. */
async function runsOfTheMinute() {
  const runs = [];
  let cursor;
  do {
    const page = await call(
      "GET",
      `/v1/runs?function=${FUNCTION}&after=${minute}&limit=200${cursor ? `&cursor=${cursor}` : ""}`,
    );
    runs.push(...page.runs.filter((run) => Date.parse(run.createdAt) < minute + 60_000));
    cursor = page.nextCursor;
  } while (cursor);
  return runs;
}
await new Promise((resolve) => setTimeout(resolve, Math.max(0, minute - Date.now())));
let runs = [];
let allEndedAt;
for (const deadline = minute + 300_000; Date.now() < deadline;) {
  try {
    runs = await runsOfTheMinute();
  } catch (error) {
    // The local server may drop an answer under the minute's burst: ask again.
    console.log(`listing the runs failed (${error.message}); asking again`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    continue;
  }
  const ended = runs.filter((run) => run.status === "completed").length;
  if (runs.length >= total && ended >= total) {
    allEndedAt = Math.max(...runs.map((run) => Date.parse(run.endedAt)));
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}
const lateness = runs.map((run) => Date.parse(run.createdAt) - minute);
const started = runs.length;
console.log(
  `${started} of ${total} ticks started a run: late by p50 ${ms(percentile(lateness, 50))}, p95 ${ms(percentile(lateness, 95))}, max ${ms(Math.max(...lateness))}; ` +
    (allEndedAt
      ? `all ended ${((allEndedAt - minute) / 1_000).toFixed(1)} s after the minute`
      : "not all ended in 5 min"),
);

// 3. Listings with every schedule in place.
async function timeGet(path, times = 20) {
  const latencies = [];
  for (let i = 0; i < times + 2; i++) {
    const at = performance.now();
    const response = await fetch(base + path);
    await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    if (i >= 2) latencies.push(performance.now() - at);
  }
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95) };
}
const byTenant = await timeGet("/v1/schedules?tenant=tenant-7");
const byFunction = await timeGet(`/v1/schedules?function=${FUNCTION}&limit=200`);
const page = await timeGet("/dashboard/schedules");
console.log(
  `list by tenant p95 ${ms(byTenant.p95)}; by function (200) p95 ${ms(byFunction.p95)}; dashboard page p95 ${ms(page.p95)}`,
);

// 4. Delete.
const deleted = await pool(total, (i) => call("DELETE", `/v1/schedules/${ids[i]}`));
console.log(`deleted ${total} schedules in ${deleted.seconds.toFixed(1)} s (${Math.round(total / deleted.seconds)}/s)`);

const marker = "schedules";
const section = `<!-- ${marker} -->
## Schedules made at run time: ${total.toLocaleString("en-US")} ticking in the same minute

Command: \`npm run bench:schedules\` (\`node bench/schedules.mjs --schedules ${total} --concurrency ${concurrency}\`), ${new Date().toISOString().slice(0, 10)}, on
${cpus().length} cores, Node ${process.version}, the benchmark Worker in one \`wrangler dev\` (local workerd, D1 and
Durable Objects). Each schedule is its own CronScheduler (its alarm, its next tick); D1 holds the
list of record. Latencies are on Node's clock over loopback, ${concurrency} requests at a time.

| what | figure |
|---|---|
| create (\`POST /v1/schedules\`, one daily cron minute for all) | ${Math.round(total / created.seconds)}/s; p50 ${ms(percentile(created.latencies, 50))}, p95 ${ms(percentile(created.latencies, 95))} |
| ticks of one minute that started a run | ${started} of ${total} |
| run created after its minute (tick lateness) | p50 ${ms(percentile(lateness, 50))}, p95 ${ms(percentile(lateness, 95))}, max ${ms(Math.max(...lateness))} |
| the last of those runs (3 steps each) ended | ${allEndedAt ? `${((allEndedAt - minute) / 1_000).toFixed(1)} s after the minute` : "not within 5 minutes"} |
| \`GET /v1/schedules?tenant=\` (${total / 50} of them) | p50 ${ms(byTenant.p50)}, p95 ${ms(byTenant.p95)} |
| \`GET /v1/schedules?function=&limit=200\` | p50 ${ms(byFunction.p50)}, p95 ${ms(byFunction.p95)} |
| dashboard schedules page | p50 ${ms(page.p50)}, p95 ${ms(page.p95)} |
| delete (\`DELETE /v1/schedules/:id\`) | ${Math.round(total / deleted.seconds)}/s; p50 ${ms(percentile(deleted.latencies, 50))}, p95 ${ms(percentile(deleted.latencies, 95))} |

No object is shared by the schedules: each tick is its own CronScheduler's alarm starting one run,
so the minute's burst spreads over as many objects as there are schedules. Locally, though, all
the alarms and runs share one workerd thread (${allEndedAt ? `${Math.round((total * 1_000) / (allEndedAt - minute))} runs/s here` : "see above"}),
so the lateness is that queue, not a hot spot, and not what a deployment would see.
<!-- /${marker} -->`;

const file = "bench/RESULTS.md";
const existing = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
const marked = new RegExp(`<!-- ${marker} -->[\\s\\S]*<!-- /${marker} -->`);
writeFileSync(
  file,
  marked.test(existing) ? existing.replace(marked, section) : `${existing.trimEnd()}\n\n${section}\n`,
);
console.log(`wrote the schedules section of ${file}`);
process.exit(0);
