#!/usr/bin/env node
// `npm run soak`: Stepwise under sustained load on one `wrangler dev` (the benchmark Worker, with
// the functions of bench/soak-functions.ts), not part of CI. Phases:
//   1. limit: 20,000 events to a `concurrency: 5` function; all must complete, and the function
//      measures itself how many of its steps ran at once.
//   2. kill: 200 runs asleep and a 2,500-event burst, then `kill -9` of the dev server as soon as
//      the burst is accepted, and a restart; every event must reach its run, no event two runs,
//      and the side effects that happened twice are counted (steps re-executed).
//   3. fuzz: generated bodies and query strings on the API routes; no answer may be a 5xx.
// The workerd process's memory is sampled throughout. Writes its section of bench/RESULTS.md.
// SOAK_LOG=FILE keeps the dev server's output in FILE.
// Options: --events N (phase 1, default 20000), --burst N (default 2500), --fuzz N (default 2000).
import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const option = (name, fallback) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const limitEvents = option("--events", 20_000);
const burstEvents = option("--burst", 2_500);
const sleepers = 200;
const fuzzRequests = option("--fuzz", 2_000);
const port = 8690 + Math.floor(Math.random() * 100);
const base = `http://127.0.0.1:${port}`;
const stateDir = mkdtempSync(join(tmpdir(), "stepwise-soak-"));
const startedAt = Date.now();
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(0)} s`;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let server;
let log = "";
function start() {
  server = spawn(process.execPath, ["scripts/dev.mjs", "--port", String(port), "--ip", "127.0.0.1"], {
    env: {
      ...process.env,
      STEPWISE_STATE_DIR: stateDir,
      STEPWISE_WRANGLER_CONFIG: "bench/wrangler.toml",
      WRANGLER_SEND_METRICS: "false",
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout.on("data", (chunk) => (log += chunk));
  server.stderr.on("data", (chunk) => (log += chunk));
  if (process.env.SOAK_LOG)
    for (const stream of [server.stdout, server.stderr])
      stream.on("data", (chunk) => appendFileSync(process.env.SOAK_LOG, chunk));
}
function kill() {
  try {
    process.kill(-server.pid, "SIGKILL");
  } catch {}
}
process.on("uncaughtException", (error) => {
  console.error(error, `\n--- dev server log (last lines):\n${log.slice(-3000)}`);
  process.exit(2);
});
process.on("exit", () => {
  kill();
  rmSync(stateDir, { recursive: true, force: true });
});

async function ready() {
  for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
    try {
      if ((await fetch(`${base}/v1/functions`)).ok) return;
    } catch {}
    await pause(300);
  }
  throw new Error(`dev server did not start:\n${log.slice(-4000)}`);
}

/** GETs the dev server lost (no answer in 15 s; wrangler's local proxy can hold one forever): asked again, and counted. */
let getsAskedAgain = 0;
async function json(path, init) {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(base + path, { ...init, signal: AbortSignal.timeout(15_000) });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body).slice(0, 500)}`);
      return body;
    } catch (error) {
      if (error?.name !== "TimeoutError" || (init?.method ?? "GET") !== "GET" || attempt === 4) throw error;
      getsAskedAgain++;
    }
  }
}
/** Retries that a send needed (503s from the dev server under load): reported with the figures. */
const sendRetries = { count: 0, statuses: {} };
/** Sends events (each with its own id, so a retried batch is not recorded twice), retrying a 503 as a client would. */
async function send(events) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${base}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(events),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    if (response.ok) return JSON.parse(text);
    if (response.status !== 503 || attempt === 5)
      throw new Error(`/v1/events: ${response.status} ${text.slice(0, 500)}`);
    sendRetries.count++;
    sendRetries.statuses[`${response.status} ${text.slice(0, 80)}`] =
      (sendRetries.statuses[`${response.status} ${text.slice(0, 80)}`] ?? 0) + 1;
    await pause(500 * 2 ** attempt);
  }
}
const stats = () => json("/bench/soak/stats");

// Memory: the resident size of the dev server's workerd, every 2 s, labelled with the phase.
let phase = "start-up";
const samples = [];
const sampler = setInterval(() => {
  try {
    const rows = execFileSync("ps", ["-eo", "pgid=,rss=,comm="], { encoding: "utf8" }).trim().split("\n");
    const rss = rows
      .map((row) => row.trim().split(/\s+/))
      .filter(([pgid, , comm]) => Number(pgid) === server.pid && comm?.includes("workerd"));
    if (rss.length > 0)
      samples.push({ phase, at: Date.now(), mb: rss.reduce((sum, [, kb]) => sum + Number(kb), 0) / 1024 });
  } catch {}
}, 2_000);

/** Polls until `done(stats)`; stops early when nothing moved for `stallMs`. */
async function until(label, done, progress, { timeoutMs, stallMs = 120_000 }) {
  const since = Date.now();
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const current = await stats();
    if (done(current)) return { current, ms: Date.now() - since, stalled: false };
    const now = progress(current);
    if (now !== last) [last, movedAt] = [now, Date.now()];
    if (Date.now() - movedAt > stallMs || Date.now() - since > timeoutMs)
      return { current, ms: Date.now() - since, stalled: true };
    process.stdout.write(`\r${elapsed()} ${label}: ${now}   `);
    await pause(2_000);
  }
}

const keys = (current, kind) => current.effects[kind]?.keys ?? 0;
const repeats = (current) =>
  Object.values(current.effects).reduce((sum, { total, keys: distinct }) => sum + total - distinct, 0);

start();
await ready();
await json("/bench/soak/reset");
console.log(`${elapsed()} dev server up on ${base}`);

// Phase 1: the limit.
phase = "limit";
const batchId = Date.now().toString(36);
const batches = Array.from({ length: Math.ceil(limitEvents / 100) }, (_, b) =>
  Array.from({ length: Math.min(100, limitEvents - b * 100) }, (_, i) => ({
    id: `${batchId}-l${b * 100 + i}`,
    name: "soak/limited",
    data: { key: `${batchId}-${b * 100 + i}` },
  })),
);
const sendStarted = Date.now();
for (let i = 0; i < batches.length; i += 4) await Promise.all(batches.slice(i, i + 4).map(send));
const acceptMs = Date.now() - sendStarted;
console.log(`${elapsed()} ${limitEvents} events accepted in ${acceptMs} ms`);
const limit = await until(
  "limited runs done",
  (s) => keys(s, "limited") >= limitEvents,
  (s) => keys(s, "limited"),
  { timeoutMs: 30 * 60_000 },
);
console.log(
  `\n${elapsed()} limit phase: ${keys(limit.current, "limited")}/${limitEvents} in ${limit.ms} ms, at most ${limit.current.maxLimitedInFlight} at once${limit.stalled ? " (STALLED)" : ""}`,
);

// Phase 2: a kill -9 during sleeps and a burst.
phase = "kill";
await send(
  Array.from({ length: sleepers }, (_, i) => ({
    id: `${batchId}-s${i}`,
    name: "soak/sleep",
    data: { key: `${batchId}-s${i}`, seconds: 5 },
  })),
);
await until(
  "sleepers asleep",
  (s) => keys(s, "sleep-before") >= sleepers,
  (s) => keys(s, "sleep-before"),
  { timeoutMs: 120_000 },
);
const burst = Array.from({ length: burstEvents }, (_, i) => ({
  id: `${batchId}-b${i}`,
  name: "soak/burst",
  data: { key: `${batchId}-b${i}` },
}));
let accepted = 0;
for (let i = 0; i < burst.length; i += 500) accepted += (await send(burst.slice(i, i + 500))).ids.length;
const beforeKill = await stats();
kill();
const killedAt = Date.now();
console.log(
  `\n${elapsed()} killed with ${accepted} burst events accepted, ${keys(beforeKill, "burst-b")} finished, ${keys(beforeKill, "sleep-after")} sleepers awake`,
);
await pause(500);
phase = "restart";
start();
await ready();
const restartMs = Date.now() - killedAt;
const recovered = await until(
  "after the restart",
  (s) => keys(s, "burst-b") >= burstEvents && keys(s, "sleep-after") >= sleepers,
  (s) => keys(s, "burst-b") + keys(s, "sleep-after"),
  { timeoutMs: 10 * 60_000 },
);
const kill9 = {
  accepted,
  lost: burstEvents - keys(recovered.current, "burst-b"),
  sleepersLost: sleepers - keys(recovered.current, "sleep-after"),
  eventsWithTwoRuns: recovered.current.eventsWithTwoRuns,
  stepsRepeated: repeats(recovered.current),
  recoveredMs: Date.now() - killedAt,
  restartMs,
};
console.log(`\n${elapsed()} kill phase:`, kill9);

// Phase 3: fuzz. Seeded, so a failure can be repeated.
phase = "fuzz";
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = (list) => list[Math.floor(random() * list.length)];
// In a path or query a lone surrogate cannot be encoded: it is sent as U+FFFD.
const q = (value) => encodeURIComponent(String(value).toWellFormed());
const values = [
  null,
  true,
  0,
  -1,
  1e308,
  "",
  "x".repeat(300),
  "\ud800",
  { a: 1 },
  [1, 2],
  "2026-01-01",
  "999999-01-01",
  "../..",
  "<script>",
];
const nest = (depth) => (depth === 0 ? pick(values) : random() < 0.5 ? [nest(depth - 1)] : { k: nest(depth - 1) });
const bodies = () =>
  pick([
    JSON.stringify(nest(Math.floor(random() * 200))),
    JSON.stringify({ name: pick(values), data: nest(3) }),
    "{",
    "[]",
    "null",
    JSON.stringify([{ name: "soak/none", data: pick(values) }]),
  ]);
const routes = [
  () => ["POST", "/v1/events", bodies()],
  () => ["POST", "/v1/functions/soak-burst/invoke", bodies()],
  () => ["POST", `/v1/functions/${q(pick(values))}/invoke`, bodies()],
  () => ["GET", `/v1/runs?limit=${q(pick(values))}&status=${q(pick(values))}`],
  () => ["GET", `/v1/events?limit=${q(pick(values))}&cursor=${q(pick(values))}`],
  () => ["GET", `/v1/runs/${q(pick(values))}`],
  () => ["POST", "/v1/bulk/replay", bodies()],
  () => ["POST", `/v1/runs/${q(pick(values))}/cancel`, bodies()],
];
const statuses = {};
let serverErrors = 0;
for (let i = 0; i < fuzzRequests; i += 20) {
  await Promise.all(
    Array.from({ length: Math.min(20, fuzzRequests - i) }, async () => {
      const [method, path, body] = pick(routes)();
      const response = await fetch(base + path, {
        method,
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (response.status >= 500) serverErrors++;
    }),
  );
}
console.log(`${elapsed()} fuzz: ${fuzzRequests} requests, ${serverErrors} answered 5xx`, statuses);
clearInterval(sampler);

// Memory per phase: first, last and highest sample.
const memory = ["limit", "kill", "restart", "fuzz"].map((name) => {
  const mine = samples.filter((sample) => sample.phase === name).map((sample) => sample.mb);
  return { name, first: mine[0] ?? 0, last: mine.at(-1) ?? 0, max: Math.max(0, ...mine) };
});

const mb = (value) => `${value.toFixed(0)} MB`;
const section = `<!-- soak -->
## Soak (\`npm run soak\`)

Produced by \`node bench/soak.mjs\` on ${new Date().toISOString().slice(0, 10)} (2 cores, one \`wrangler dev\` of the benchmark Worker,
the functions of bench/soak-functions.ts). Not run in CI.

| Phase | Figure |
|---|---|
| limit: ${limitEvents.toLocaleString("en")} events to a \`concurrency: 5\` function (batches of 100, 4 at a time) | accepted in ${(acceptMs / 1000).toFixed(1)} s (sends retried after a 503: ${sendRetries.count}${sendRetries.count ? `, ${JSON.stringify(sendRetries.statuses)}` : ""}); ${keys(limit.current, "limited").toLocaleString("en")} completed in ${(limit.ms / 1000).toFixed(0)} s (${((keys(limit.current, "limited") / limit.ms) * 1000).toFixed(0)} runs/s)${limit.stalled ? " **stalled**" : ""}; most steps at once, as the function measured: **${limit.current.maxLimitedInFlight}** |
| kill -9 during ${sleepers} sleeps and a ${burstEvents.toLocaleString("en")}-event burst | events lost: **${kill9.lost}**; sleepers lost: **${kill9.sleepersLost}**; events with two runs: **${kill9.eventsWithTwoRuns}**; side effects repeated: **${kill9.stepsRepeated}**; all done ${(kill9.recoveredMs / 1000).toFixed(0)} s after the kill (the restart itself took ${(kill9.restartMs / 1000).toFixed(0)} s) |
| fuzz: ${fuzzRequests.toLocaleString("en")} generated requests (seed 42) | 5xx answers: **${serverErrors}**; statuses ${Object.entries(
  statuses,
)
  .map(([status, n]) => `${status}×${n}`)
  .join(", ")} |

GETs that got no answer within 15 s and were asked again (wrangler's local proxy, docs/local-development.md): ${getsAskedAgain}.

workerd memory (resident), first / last / highest sample of each phase:
${memory.map((m) => `- ${m.name}: ${mb(m.first)} / ${mb(m.last)} / ${mb(m.max)}`).join("\n")}
<!-- /soak -->`;
const file = "bench/RESULTS.md";
const existing = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
const marked = /<!-- soak -->[\s\S]*<!-- \/soak -->/;
writeFileSync(
  file,
  marked.test(existing) ? existing.replace(marked, section) : `${existing.trimEnd()}\n\n${section}\n`,
);
console.log(section);
const failed =
  limit.stalled ||
  recovered.stalled ||
  kill9.lost > 0 ||
  kill9.eventsWithTwoRuns > 0 ||
  serverErrors > 0 ||
  limit.current.maxLimitedInFlight > 5;
process.exit(failed ? 1 : 0);
