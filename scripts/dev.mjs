#!/usr/bin/env node
// Starts Stepwise locally: applies the D1 migrations to the persisted local state (wrangler dev
// does not do it by itself), then runs `wrangler dev` on the same state. With the repository's
// own wrangler.toml (which deploys STEPWISE_ENV=production and no functions) it starts the
// development entry, src/dev.ts, with STEPWISE_ENV=development and the example functions.
// Extra arguments go to wrangler dev, e.g. `npm run dev -- --port 8788`.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const persist = process.env.STEPWISE_STATE_DIR ?? ".wrangler/state";
const wrangler = ["node_modules/wrangler/bin/wrangler.js"];
const config = process.env.STEPWISE_WRANGLER_CONFIG ?? "wrangler.toml";
// Another config (the benchmark's) names its own entry and vars.
const development =
  process.env.STEPWISE_WRANGLER_CONFIG === undefined ? ["src/dev.ts", "--var", "STEPWISE_ENV:development"] : [];

// Local development sends nothing to Cloudflare unless asked to. The preload works around a
// local-queue stall in miniflare (see scripts/loopback-keepalive.mjs).
const preload = `--import=${new URL("./loopback-keepalive.mjs", import.meta.url).href}`;
const env = { WRANGLER_SEND_METRICS: "false", ...process.env };
const devEnv = { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, preload].filter(Boolean).join(" ") };

const migrate = spawnSync(
  process.execPath,
  [...wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, "-c", config],
  { stdio: "inherit", env: { ...env, CI: "1" } },
);
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// Keys for local use go in .dev.vars; without them the API is open, and that is said up front.
const devVars = existsSync(".dev.vars") ? readFileSync(".dev.vars", "utf8") : "";
const keyed = (name) => new RegExp(`^\\s*${name}\\s*=\\s*\\S`, "m").test(devVars);
if (!keyed("STEPWISE_API_KEYS") || !keyed("STEPWISE_EVENT_KEYS")) {
  console.warn(
    "stepwise: running OPEN for local development: set STEPWISE_API_KEYS and STEPWISE_EVENT_KEYS in .dev.vars to require keys",
  );
}

const dev = spawn(
  process.execPath,
  [...wrangler, "dev", ...development, "--persist-to", persist, "-c", config, ...process.argv.slice(2)],
  {
    stdio: "inherit",
    env: devEnv,
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
