/**
 * Storing a synced app, whatever protocol it speaks: ids the Stepwise Worker or another app owns
 * are refused, then the app is stored with exactly the functions it serves now, the catalog
 * forgets its copy, and their cron triggers are armed. Syncing again is how an app adds, changes
 * or drops functions.
 */
import type { z } from "zod";
import type { AppFeature, AppTarget, RegisteredApp } from "../../../sdk/app-protocol.ts";
import type { FunctionConfig, Trigger } from "../../../sdk/function.ts";
import { saveApp, takenFunctionIds } from "../db/apps.ts";
import type { Env } from "../env.ts";
import { forgetRemoteFunctions } from "../functions/catalog.ts";
import { announceCatalogOrLog } from "../functions/catalog-generation.ts";
import { cronTargets, ensureOne } from "../functions/cron-targets.ts";
import { registry } from "../functions/registry.ts";

/** The registered app, or why not (an HTTP status, a code and a message, maybe zod issues). */
export type RegisterResult =
  | { ok: true; app: RegisteredApp["app"] }
  | { ok: false; status: 400 | 401 | 409 | 502 | 503; code: string; message: string; issues?: z.core.$ZodIssue[] };

export const refuse = (
  status: 400 | 401 | 409 | 502 | 503,
  code: string,
  message: string,
  issues?: z.core.$ZodIssue[],
): RegisterResult => ({ ok: false, status, code, message, ...(issues ? { issues } : {}) });

/** Stores app `app` with `functions` (each validated by Stepwise's schemas), unless an id is taken. */
export async function storeApp(
  env: Env,
  app: { id: string; target: AppTarget; sdk: string; features?: AppFeature[] },
  functions: { id: string; config: FunctionConfig; triggers: Trigger[] }[],
  now: number,
): Promise<RegisterResult> {
  const { id: appId, target } = app;
  if (registry.list().some((fn) => fn.appId === appId))
    return refuse(409, "app_id_taken", `App id "${appId}" is the Stepwise Worker's own app`);
  const embedded = functions.filter((fn) => registry.get(fn.id));
  if (embedded.length > 0)
    return refuse(
      409,
      "function_id_taken",
      `Function id(s) ${embedded.map((fn) => `"${fn.id}"`).join(", ")} belong to functions embedded in the Stepwise Worker`,
    );
  const ids = functions.map((fn) => fn.id);
  const taken = (found: { id: string; appId: string }[]) =>
    refuse(
      409,
      "function_id_taken",
      `Function id(s) already served by another app: ${found.map((row) => `"${row.id}" (app "${row.appId}")`).join(", ")}`,
    );
  const before = await takenFunctionIds(env.DB, ids, appId);
  if (before.length > 0) return taken(before);

  await saveApp(env.DB, { id: appId, target, sdk: app.sdk, features: app.features ?? [], syncedAt: now }, functions);
  // The save bumped the generation whatever follows: so other isolates' routing reads the new
  // functions (it reads D1 only when a shard names another generation).
  forgetRemoteFunctions();
  await announceCatalogOrLog(env);
  // Two apps syncing the same id at once: the store keeps the first; the second hears so.
  const after = await takenFunctionIds(env.DB, ids, appId);
  if (after.length > 0) return taken(after);
  await Promise.all(cronTargets(functions).map((cron) => ensureOne(env, cron)));
  return {
    ok: true,
    app: { id: appId, target, functions: functions.map((fn) => fn.id), syncedAt: new Date(now).toISOString() },
  };
}
