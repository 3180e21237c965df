import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { buildSync } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { experimental_readRawConfig } from "wrangler";
import { defineConfig } from "vitest/config";
// The workers pool runs miniflare in this process: keep its local queue from stalling (see the file).
import "./scripts/loopback-keepalive.mjs";
import { startReceiver } from "./test/e2e/receiver.ts";

const migrations = await readD1Migrations("./migrations");
// Where the workerd tests' alert rules deliver: a real HTTP server in this process (test/e2e/receiver.ts).
const ALERT_RECEIVER_URL = await startReceiver().then((receiver) => receiver.url);

/**
 * The workers pool runs on a config of its own, derived from the deployable wrangler.toml: the
 * same objects and database, two events queues, but none of the service bindings an app owner adds there
 * (their Workers are not running here), and the development mode the tests exercise.
 */
function testWranglerConfig(): string {
  const { rawConfig } = experimental_readRawConfig({ config: "wrangler.toml" });
  const { services: _services, main: _main, ...rest } = rawConfig;
  // A second events queue (EVENTS_1), so that every test's events cross both: the EventShards pick
  // their queue by number (src/core/events/queues.ts) and one consumer takes them all.
  const [producer] = rest.queues?.producers ?? [];
  const [consumer] = rest.queues?.consumers ?? [];
  if (!producer || !consumer) throw new Error("wrangler.toml must bind the EVENTS queue and consume it");
  const second = `${producer.queue}-1`;
  const queues = {
    producers: [producer, { ...producer, binding: "EVENTS_1", queue: second }],
    consumers: [consumer, { ...consumer, queue: second }],
  };
  const config = { ...rest, queues, vars: { ...rest.vars, STEPWISE_ENV: "development" } };
  mkdirSync("./.test-build", { recursive: true });
  writeFileSync("./.test-build/wrangler.test.json", JSON.stringify(config, null, 2));
  return "./.test-build/wrangler.test.json";
}

/** Bundles the fixture Worker `name` (test/fixtures/<name>.ts) for miniflare, as wrangler would for workerd. */
function bundleFixture(name: string): void {
  buildSync({
    entryPoints: [`./test/fixtures/${name}.ts`],
    outfile: `./.test-build/${name}.js`,
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    logLevel: "warning",
  });
}
// The remote app is a Worker of its own built from TypeScript with the SDK.
bundleFixture("remote-app");
// The Inngest app is a Worker of its own built with the real `inngest` package.
bundleFixture("inngest-app");

/** The key Stepwise and the remote test app sign with. */
const SIGNING_KEY = "test-signing-key-0123456789";

export default defineConfig({
  test: {
    // Two test files at once even on two cores: most of a workerd file's time is its isolate
    // starting and its objects' I/O, not CPU (measured: unit and workers 277 s → 198 s).
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: [
            "sdk/**/*.test.ts",
            "durable-objects/**/*.test.ts",
            "src/core/lib/**/*.test.ts",
            "src/core/inngest/**/*.test.ts",
            "src/core/events/**/*.test.ts",
            "src/core/waits/**/*.test.ts",
            "src/core/runs/**/*.test.ts",
            "src/dashboard/**/*.test.ts",
            "docs/**/*.test.ts",
          ],
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 180_000,
          // Each file starts its own dev server; two at once would compete for the machine.
          fileParallelism: false,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: "./test/worker.ts",
            wrangler: { configPath: testWranglerConfig() },
            miniflare: {
              bindings: { TEST_MIGRATIONS: migrations, STEPWISE_SIGNING_KEY: SIGNING_KEY, ALERT_RECEIVER_URL },
              serviceBindings: { CALLER: "caller", REMOTE_APP: "remote-app", INNGEST_APP: "inngest-app" },
              workers: [
                {
                  // A second Worker bound to Stepwise's RPC entrypoint, as a user's app would be.
                  name: "caller",
                  modules: true,
                  scriptPath: "./test/fixtures/caller-worker.js",
                  compatibilityDate: "2026-04-20",
                  serviceBindings: {
                    STEPWISE: { name: "vitest-pool-workers-runner-workers", entrypoint: "StepwiseRpc" },
                  },
                },
                {
                  // An app served by the official inngest SDK, reached by Stepwise as INNGEST_APP; it
                  // reaches Stepwise's HTTP API (its own sync) through STEPWISE.
                  name: "inngest-app",
                  modules: true,
                  scriptPath: "./.test-build/inngest-app.js",
                  compatibilityDate: "2026-04-20",
                  // The inngest package imports node:async_hooks, as on Cloudflare with nodejs_compat.
                  compatibilityFlags: ["nodejs_compat"],
                  serviceBindings: { STEPWISE: "vitest-pool-workers-runner-workers" },
                },
                {
                  // A user's app with functions served by serve(), reached by Stepwise as REMOTE_APP.
                  name: "remote-app",
                  modules: true,
                  scriptPath: "./.test-build/remote-app.js",
                  compatibilityDate: "2026-04-20",
                  bindings: { SIGNING_KEY },
                  serviceBindings: {
                    STEPWISE: { name: "vitest-pool-workers-runner-workers", entrypoint: "StepwiseRpc" },
                  },
                },
              ],
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**", "test/hotspots/**"],
          setupFiles: ["./test/setup.ts"],
          testTimeout: 20_000,
        },
      },
      {
        // The counting harness (SCALE.md §7): the same deployable config, a Worker whose objects
        // count every call they make (test/hotspots/worker.ts), and one workload.
        plugins: [
          cloudflareTest({
            main: "./test/hotspots/worker.ts",
            wrangler: { configPath: testWranglerConfig() },
            // The workload's size (test/hotspots/hotspots.test.ts): CI's unless `npm run bench` sets it.
            miniflare: { bindings: { TEST_MIGRATIONS: migrations, HOTSPOTS_SCALE: process.env.HOTSPOTS_SCALE ?? "1" } },
          }),
        ],
        test: {
          name: "hotspots",
          include: ["test/hotspots/**/*.test.ts"],
          setupFiles: ["./test/hotspots/setup.ts"],
          testTimeout: 600_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
