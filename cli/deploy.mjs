// @ts-check
/**
 * `stepwise deploy`: everything between a Worker that embeds Stepwise (or the standalone one) and
 * a running deployment, in order: keys first (nothing is created for a deploy that would be
 * refused), then the D1 database and the queues when they do not exist, the D1 migrations, and
 * `wrangler deploy`. With --dry-run it prints each step and runs only `wrangler deploy --dry-run`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { CliError, readConfig, wrangler } from "./wrangler.mjs";

/** The keys a deployed Stepwise needs as secrets; without them its API answers 503. */
export const REQUIRED_SECRETS = ["STEPWISE_API_KEYS", "STEPWISE_EVENT_KEYS"];
/** The id the templates and the repository carry until a real database exists. */
const PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000";
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/**
 * @param {{ dryRun: boolean, config?: string | undefined, log: (line: string) => void }} options
 */
export function deploy({ dryRun, config: configArg, log }) {
  const { path, config } = readConfig(configArg);
  const c = ["-c", path];
  const step = (/** @type {string} */ what, /** @type {string[]} */ args) =>
    log(`${dryRun ? "[dry run] would" : "→"} ${what}: wrangler ${args.join(" ")}`);

  if (config.vars?.STEPWISE_ENV === "development") {
    throw new CliError(
      `${path} sets STEPWISE_ENV = "development", which leaves the API open: deploy with "production" (npm run dev sets development locally)`,
    );
  }
  const db = (config.d1_databases ?? []).find((database) => database.binding === "DB");
  if (!db?.database_name)
    throw new CliError(
      `${path} has no D1 database bound as DB (with a database_name): Stepwise keeps its run index there`,
    );
  const queues = [
    ...new Set([...(config.queues?.producers ?? []), ...(config.queues?.consumers ?? [])].map((queue) => queue.queue)),
  ];
  if (queues.length === 0)
    throw new CliError(`${path} has no queue: Stepwise routes events through one (queues.producers binding EVENTS)`);
  // The extra events queues are numbered as the Worker reads them (src/core/events/queues.ts).
  const extras = (config.queues?.producers ?? [])
    .flatMap((producer) => /^EVENTS_(\d+)$/.exec(producer.binding ?? "")?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
  extras.forEach((n, i) => {
    if (n !== i + 1 || n > 15)
      throw new CliError(
        `${path} binds the events queue EVENTS_${n}: extra events queues are EVENTS_1 to EVENTS_15, numbered from 1 without gaps`,
      );
  });
  // Events sent to a queue nobody consumes would only ever be swept back onto it.
  const consumed = new Set((config.queues?.consumers ?? []).map((queue) => queue.queue));
  for (const producer of config.queues?.producers ?? []) {
    if (/^EVENTS(_\d+)?$/.test(producer.binding ?? "") && !consumed.has(producer.queue))
      throw new CliError(
        `${path} sends events to the queue "${producer.queue}" (binding ${producer.binding}) but does not consume it: add [[queues.consumers]] queue = "${producer.queue}"`,
      );
  }

  // 1. Keys: a Worker deployed without them is locked (503), so refuse before creating anything.
  const secretArgs = ["secret", "list", "--format", "json", ...c];
  step("check the keys are set as secrets", secretArgs);
  if (!dryRun) {
    const listed = wrangler(secretArgs, { quiet: true });
    const names = listed.status === 0 ? secretNames(listed.stdout) : [];
    const missing = REQUIRED_SECRETS.filter((name) => !names.includes(name));
    if (missing.length > 0) {
      throw new CliError(
        `refusing to deploy: ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not set as secrets of ${config.name ?? "this Worker"}. ` +
          `Set ${missing.length === 1 ? "it" : "each"} with \`npx wrangler secret put <NAME> ${c.join(" ")}\` (comma-separated keys), then deploy again.`,
      );
    }
    if ((config.services ?? []).length > 0 && !names.includes("STEPWISE_SIGNING_KEY")) {
      log("note: STEPWISE_SIGNING_KEY is not a secret; apps bound to this Stepwise cannot be called until it is");
    }
  }

  // 2. The database, created when missing, its id written where the placeholder stands.
  const listArgs = ["d1", "list", "--json", ...c];
  step(`find the D1 database "${db.database_name}"`, listArgs);
  if (!dryRun) {
    let id = databaseId(wrangler(listArgs, { quiet: true }), db.database_name);
    if (!id) {
      const createArgs = ["d1", "create", db.database_name, ...c];
      step("create it", createArgs);
      const created = wrangler(createArgs, { quiet: true });
      if (created.status !== 0) throw new CliError(`wrangler d1 create failed:\n${created.stdout}${created.stderr}`);
      id = created.stdout.match(UUID)?.[0];
      if (!id) throw new CliError(`wrangler d1 create did not print the new database's id:\n${created.stdout}`);
    }
    if (!db.database_id || db.database_id === PLACEHOLDER_ID) writeDatabaseId(path, id, log);
    else if (db.database_id !== id)
      log(
        `note: ${path} names database_id ${db.database_id}, but "${db.database_name}" is ${id}; wrangler uses the id in ${path}`,
      );
  } else {
    step(`create it when missing (and write its id into ${path})`, ["d1", "create", db.database_name, ...c]);
  }

  // 3. The queues.
  for (const queue of queues) {
    const infoArgs = ["queues", "info", queue, ...c];
    step(`find the queue "${queue}"`, infoArgs);
    if (dryRun) {
      step("create it when missing", ["queues", "create", queue, ...c]);
    } else if (wrangler(infoArgs, { quiet: true }).status !== 0) {
      const createArgs = ["queues", "create", queue, ...c];
      step("create it", createArgs);
      if (wrangler(createArgs).status !== 0) throw new CliError(`wrangler queues create ${queue} failed`);
    }
  }

  // 4. Stepwise's tables.
  const migrateArgs = ["d1", "migrations", "apply", "DB", "--remote", ...c];
  step("apply Stepwise's D1 migrations", migrateArgs);
  if (!dryRun && wrangler(migrateArgs).status !== 0)
    throw new CliError("the D1 migrations failed: nothing was deployed");

  // 5. The Worker.
  const deployArgs = ["deploy", ...c, ...(dryRun ? ["--dry-run"] : [])];
  log(`→ deploy the Worker: wrangler ${deployArgs.join(" ")}`);
  if (wrangler(deployArgs).status !== 0) throw new CliError(`wrangler ${deployArgs.join(" ")} failed`);
  log(dryRun ? "dry run done: nothing was created, migrated or deployed" : `deployed ${config.name ?? "the Worker"}`);
}

/** @param {string} stdout */
function secretNames(stdout) {
  try {
    /** @type {unknown} */
    const parsed = JSON.parse(stdout);
    return Array.isArray(parsed)
      ? parsed.map((entry) => (entry && typeof entry === "object" && "name" in entry ? String(entry.name) : ""))
      : [];
  } catch {
    return [];
  }
}

/**
 * @param {{ status: number, stdout: string, stderr: string }} listed
 * @param {string} name
 */
function databaseId(listed, name) {
  if (listed.status !== 0)
    throw new CliError(`wrangler d1 list failed (are you logged in? npx wrangler login):\n${listed.stderr}`);
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(listed.stdout);
  } catch {
    throw new CliError(`wrangler d1 list --json printed something else than JSON:\n${listed.stdout}`);
  }
  if (!Array.isArray(parsed)) return undefined;
  const found = parsed.find((entry) => entry && typeof entry === "object" && entry.name === name);
  return found && typeof found.uuid === "string" ? found.uuid : undefined;
}

/**
 * @param {string} path
 * @param {string} id
 * @param {(line: string) => void} log
 */
function writeDatabaseId(path, id, log) {
  const text = readFileSync(path, "utf8");
  if (text.split(PLACEHOLDER_ID).length !== 2) {
    throw new CliError(
      `put the database's id in ${path} (d1_databases, binding DB): database_id = "${id}", then deploy again`,
    );
  }
  writeFileSync(path, text.replace(PLACEHOLDER_ID, id));
  log(`wrote database_id = "${id}" into ${path} (commit it)`);
}
