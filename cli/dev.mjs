// @ts-check
/**
 * `stepwise dev`: Stepwise on this machine. Applies the D1 migrations to the local state (wrangler
 * dev does not), then runs the project's `wrangler dev` with scripts/loopback-keepalive.mjs
 * preloaded, which keeps miniflare's local queue from stalling under load (see
 * docs/local-development.md). Configs are given as to wrangler (`-c`, one or more: the migrations
 * go to the first that binds DB); what follows `--` goes to wrangler dev as it is.
 */
import { spawn } from "node:child_process";
import { CliError, readConfig, wrangler, wranglerScript } from "./wrangler.mjs";

const PRELOAD = `--import=${new URL("../scripts/loopback-keepalive.mjs", import.meta.url).href}`;

/**
 * @param {{ configs: string[], persistTo?: string | undefined, args: string[], log: (line: string) => void }} options
 * @returns {Promise<number>} wrangler dev's exit code
 */
export async function dev({ configs, persistTo, args, log }) {
  const found = (configs.length > 0 ? configs : [undefined]).map((path) => readConfig(path));
  const withDb = found.find(({ config }) => (config.d1_databases ?? []).some((database) => database.binding === "DB"));
  if (!withDb) throw new CliError(`no D1 database bound as DB in ${found.map(({ path }) => path).join(" or ")}`);
  const persist = persistTo ? ["--persist-to", persistTo] : [];
  const migrateArgs = ["d1", "migrations", "apply", "DB", "--local", ...persist, "-c", withDb.path];
  log(`→ wrangler ${migrateArgs.join(" ")}`);
  if (wrangler(migrateArgs).status !== 0) throw new CliError("the D1 migrations failed");
  const devArgs = ["dev", ...found.flatMap(({ path }) => ["-c", path]), ...persist, ...args];
  log(`→ wrangler ${devArgs.join(" ")}`);
  const env = {
    ...process.env,
    WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
    NODE_OPTIONS: [process.env.NODE_OPTIONS, PRELOAD].filter(Boolean).join(" "),
  };
  const child = spawn(process.execPath, [wranglerScript(), ...devArgs], { stdio: "inherit", env });
  for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}
