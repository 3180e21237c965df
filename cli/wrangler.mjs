// @ts-check
/**
 * Running the project's own wrangler and reading its config, for the `stepwise` command. The
 * wrangler is the one the user's project installed (it is their version, their login); tests
 * point STEPWISE_WRANGLER at another script to stand in for Cloudflare.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";

const projectRequire = createRequire(join(process.cwd(), "package.json"));

/** The wrangler script to run with node. */
export function wranglerScript() {
  if (process.env.STEPWISE_WRANGLER) return process.env.STEPWISE_WRANGLER;
  try {
    return projectRequire.resolve("wrangler/bin/wrangler.js");
  } catch {
    throw new CliError("wrangler is not installed in this project: npm install --save-dev wrangler");
  }
}

/** A failure the command reports in one line, without a stack. */
export class CliError extends Error {}

/**
 * @typedef {{ status: number, stdout: string, stderr: string }} WranglerResult
 * @param {string[]} args
 * @param {{ quiet?: boolean }} [options] quiet: capture the output instead of showing it
 * @returns {WranglerResult}
 */
export function wrangler(args, options = {}) {
  const result = spawnSync(process.execPath, [wranglerScript(), ...args], {
    encoding: "utf8",
    stdio: options.quiet ? "pipe" : "inherit",
    // CI=1: wrangler answers its confirmation prompts (migrations) itself instead of waiting.
    env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new CliError(`could not run wrangler: ${result.error.message}`);
  return { status: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/**
 * The parts of the Worker's config the command needs.
 * @typedef {{ binding: string, database_name?: string, database_id?: string, migrations_dir?: string }} D1Config
 * @typedef {{ name?: string, vars?: Record<string, unknown>, d1_databases?: D1Config[], services?: unknown[],
 *   queues?: { producers?: { queue: string, binding?: string }[], consumers?: { queue: string }[] } }} WorkerConfig
 * @param {string | undefined} configPath
 * @returns {{ path: string, config: WorkerConfig }}
 */
export function readConfig(configPath) {
  /** @type {{ experimental_readRawConfig: (args: { config?: string }) => { rawConfig: WorkerConfig, configPath?: string } }} */
  const api = projectRequire("wrangler");
  const { rawConfig, configPath: found } = api.experimental_readRawConfig(configPath ? { config: configPath } : {});
  if (!found)
    throw new CliError(
      "no wrangler.toml (or wrangler.json/jsonc) here: run the command in your Worker's folder or pass -c",
    );
  return { path: found, config: rawConfig };
}
