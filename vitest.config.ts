import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["sdk/**/*.test.ts", "durable-objects/**/*.test.ts", "src/lib/**/*.test.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: "./test/worker.ts",
            wrangler: { configPath: "./wrangler.toml" },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
