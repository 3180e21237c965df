#!/usr/bin/env node
// `npm run bench:hotspots` (and the last part of `npm run bench`): the counting harness of
// test/hotspots/, its tables and checks written to bench/RESULTS.md. Calls are counted, not timed,
// so the figures do not depend on the machine; "ceiling" is the published soft limit of one
// Durable Object (1,000 requests/s) over the busiest object's calls per event.
// Options: --scale N (default 1: 300 events in batches, 100 single, 40 orders and users waiting).
// Scale 2 and up crash workerd on a 2-core machine (see test/hotspots/hotspots.test.ts).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";

const scale = process.argv.includes("--scale") ? Number(process.argv[process.argv.indexOf("--scale") + 1]) : 1;
const started = Date.now();
const run = spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", "--project", "hotspots"], {
  encoding: "utf8",
  env: { ...process.env, HOTSPOTS_SCALE: String(scale), NO_COLOR: "1", FORCE_COLOR: "0" },
  maxBuffer: 512 * 1024 * 1024,
});
const output = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
if (run.status !== 0) {
  console.error(
    output
      .split("\n")
      .filter((line) => !/injected fault|^\s+at /.test(line))
      .slice(-80)
      .join("\n"),
  );
  throw new Error(`the counting harness failed at scale ${scale} (exit ${run.status})`);
}
// The report: each phase's table and lines (from "### " to the queue line), and the checks.
const lines = output.split("\n");
const report = [];
for (let i = 0; i < lines.length; i++) {
  if (!lines[i].startsWith("### ")) continue;
  for (let j = i; j < lines.length && lines[j].trim() !== "" && !lines[j].startsWith("stderr |"); j++) {
    report.push(lines[j]);
    if (lines[j].startsWith("Queue messages") || lines[j].startsWith("Largest stored value")) break;
  }
  report.push("");
}
const seconds = Math.round((Date.now() - started) / 1000);
console.log(report.join("\n"));

const section = `<!-- hotspots-full -->
## Hot spots, counted (scale ${scale})

Command: \`npm run bench:hotspots -- --scale ${scale}\` (part of \`npm run bench\`), ${new Date().toISOString().slice(0, 10)}, on
${cpus().length} cores, ${seconds} s. The workload of test/hotspots/ (SCALE.md §7) with ${300 * scale} events in
batches of 100, ${100 * scale} single events from 6 clients and ${40 * scale} orders and users waiting; one index
delivery in 20 made to fail. "Ceiling" is 1,000 requests/s over the busiest object's calls per event.

${report.join("\n").trim()}
<!-- /hotspots-full -->`;
const file = "bench/RESULTS.md";
const existing = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
const marked = /<!-- hotspots-full -->[\s\S]*<!-- \/hotspots-full -->/;
writeFileSync(
  file,
  marked.test(existing) ? existing.replace(marked, section) : `${existing.trimEnd()}\n\n${section}\n`,
);
console.log(`wrote the hot spots section of ${file}`);
