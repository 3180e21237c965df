/**
 * The functions table in D1: the catalogue of functions this Stepwise runs, with config and
 * triggers, for the dashboard's queries and for running remote apps' functions. Embedded ones are
 * rewritten from the registry when an isolate starts; remote ones when their app syncs.
 */
import type { StepwiseFunction } from "../../../sdk/function.ts";
import { readCatalogState, recordEmbedded } from "./catalog-state.ts";

const UPSERT = `INSERT INTO functions (id, app_id, name, triggers, config, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (id) DO UPDATE SET app_id = excluded.app_id, name = excluded.name, triggers = excluded.triggers,
  config = excluded.config, updated_at = excluded.updated_at
WHERE functions.triggers IS NOT excluded.triggers OR functions.config IS NOT excluded.config
  OR functions.name IS NOT excluded.name OR functions.app_id IS NOT excluded.app_id`;

/** A digest of the embedded functions as the table holds them: what changes when a deployment changes them. */
async function digestOf(rows: string[][]): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(rows));
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Makes the table hold exactly `functions` besides remote apps' ones: changed rows rewritten,
 * removed ones deleted. Skipped, after one row read, when the catalogue's state says these very
 * functions were written last (another isolate of the same deployment did it). Returns whether
 * it wrote.
 */
export async function syncFunctions(db: D1Database, functions: StepwiseFunction[], now: number): Promise<boolean> {
  const rows = [...functions]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((fn) => [fn.id, fn.appId, fn.config.name ?? fn.id, JSON.stringify(fn.triggers), JSON.stringify(fn.config)]);
  const digest = await digestOf(rows);
  if ((await readCatalogState(db)).embedded === digest) return false;
  const upserts = rows.map((row) => db.prepare(UPSERT).bind(...row, now));
  const prune = db
    .prepare(
      `DELETE FROM functions WHERE id NOT IN (SELECT value FROM json_each(?1)) AND app_id NOT IN (SELECT id FROM apps)`,
    )
    .bind(JSON.stringify(functions.map((fn) => fn.id)));
  await db.batch([...upserts, prune, recordEmbedded(db, digest)]);
  return true;
}
