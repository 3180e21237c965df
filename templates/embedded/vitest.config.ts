import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Stepwise's tables, applied to the test database by test/setup.ts.
const migrations = await readD1Migrations("./node_modules/stepwise/migrations");

export default defineConfig({
  plugins: [
    cloudflareTest({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: { bindings: { TEST_MIGRATIONS: migrations, STEPWISE_ENV: "development" } },
    }),
  ],
  test: { setupFiles: ["./test/setup.ts"] },
});
