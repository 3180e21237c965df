// @ts-check
/**
 * `stepwise migrate`: applies Stepwise's D1 migrations (they ship in the package, and the
 * Worker's config points its DB binding's migrations_dir at them) to the local state or to the
 * database in the account.
 */
import { CliError, readConfig, wrangler } from "./wrangler.mjs";

/**
 * @param {{ remote: boolean, config?: string | undefined, persistTo?: string | undefined, log: (line: string) => void }} options
 */
export function migrate({ remote, config: configArg, persistTo, log }) {
  const { path, config } = readConfig(configArg);
  const db = (config.d1_databases ?? []).find((database) => database.binding === "DB");
  if (!db) throw new CliError(`${path} has no D1 database bound as DB`);
  if (!db.migrations_dir)
    log(`note: ${path} names no migrations_dir for DB; point it at node_modules/stepwise/migrations`);
  const args = [
    "d1",
    "migrations",
    "apply",
    "DB",
    remote ? "--remote" : "--local",
    ...(persistTo ? ["--persist-to", persistTo] : []),
    "-c",
    path,
  ];
  log(`→ wrangler ${args.join(" ")}`);
  if (wrangler(args).status !== 0) throw new CliError("the D1 migrations failed");
}
