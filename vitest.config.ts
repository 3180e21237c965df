import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations("./migrations");

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["sdk/**/*.test.ts", "durable-objects/**/*.test.ts", "src/lib/**/*.test.ts", "src/router/**/*.test.ts", "src/dashboard/**/*.test.ts"],
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
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: { TEST_MIGRATIONS: migrations },
              serviceBindings: { CALLER: "caller" },
              workers: [
                {
                  // A second Worker bound to Stepwise's RPC entrypoint, as a user's app would be.
                  name: "caller",
                  modules: true,
                  scriptPath: "./test/fixtures/caller-worker.js",
                  compatibilityDate: "2026-04-20",
                  serviceBindings: { STEPWISE: { name: "vitest-pool-workers-runner-workers", entrypoint: "StepwiseRpc" } },
                },
              ],
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          setupFiles: ["./test/setup.ts"],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
