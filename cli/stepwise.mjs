#!/usr/bin/env node
// @ts-check
/**
 * The `stepwise` command (`npx stepwise …` in a project that installed the package):
 *   stepwise deploy [--dry-run] [-c wrangler.toml]   keys, database, queues, migrations, deploy
 *   stepwise migrate [--local | --remote] [-c …]     apply Stepwise's D1 migrations
 *   stepwise dev [-c …]… [-- wrangler dev args]      migrate locally, then wrangler dev
 */
import { parseArgs } from "node:util";
import { deploy } from "./deploy.mjs";
import { dev } from "./dev.mjs";
import { migrate } from "./migrate.mjs";
import { CliError } from "./wrangler.mjs";

const USAGE = `usage:
  stepwise deploy [--dry-run] [-c <wrangler config>]
  stepwise migrate [--local | --remote] [--persist-to <dir>] [-c <wrangler config>]
  stepwise dev [--persist-to <dir>] [-c <wrangler config>]... [-- <wrangler dev arguments>]`;

const log = (/** @type {string} */ line) => console.log(line);

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean", default: false },
      config: { type: "string", short: "c", multiple: true },
      local: { type: "boolean", default: false },
      remote: { type: "boolean", default: false },
      "persist-to": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const configs = values.config ?? [];
  if (command === "dev") process.exitCode = await dev({ configs, persistTo: values["persist-to"], args: rest, log });
  else {
    if (rest.length > 0) throw new CliError(`unexpected arguments: ${rest.join(" ")}\n${USAGE}`);
    if (configs.length > 1) throw new CliError(`${command} takes one config (-c)`);
    const [config] = configs;
    if (command === "deploy") deploy({ dryRun: values["dry-run"], config, log });
    else if (command === "migrate") {
      if (values.local && values.remote) throw new CliError("--local or --remote, not both");
      migrate({ remote: values.remote, config, persistTo: values["persist-to"], log });
    } else throw new CliError(`unknown command "${command}"\n${USAGE}`);
  }
} catch (error) {
  if (
    error instanceof CliError ||
    (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))
  ) {
    console.error(`stepwise: ${error.message}`);
    process.exit(error instanceof CliError ? 1 : 2);
  }
  throw error;
}
