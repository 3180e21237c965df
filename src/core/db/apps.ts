/**
 * Remote apps in D1: the app (where to reach it) and its functions (rows of `functions`), written
 * together when the app syncs, and read back, validated, to run and route them.
 */
import { z } from "zod";
import { APP_FEATURES, appTargetSchema, type AppFeature, type AppTarget } from "../../../sdk/app-protocol.ts";
import { functionConfigSchema, triggerSchema, type FunctionConfig, type Trigger } from "../../../sdk/function.ts";
import { bumpGeneration } from "./catalog-state.ts";

/** A remote app as stored. */
export interface StoredApp {
  id: string;
  target: AppTarget;
  sdk: string;
  /** What its SDK can do beyond the protocol's base (the manifest's `features`). */
  features: AppFeature[];
  syncedAt: number;
  functions: string[];
}

/** A remote function as stored: validated config and triggers, and its app's target. */
export interface RemoteFunction {
  id: string;
  appId: string;
  config: FunctionConfig;
  triggers: Trigger[];
  target: AppTarget;
  /** Its app's SDK features. */
  features: AppFeature[];
  /** When its app last synced: each deployment of an app syncs, so this names the deployment. */
  syncedAt: number;
}

/**
 * Stored features, read back: unknown names (a newer Stepwise wrote them) are left out, and an
 * unreadable value counts as none (features only make calls cheaper, never possible).
 */
const storedFeaturesSchema = z.string().transform((text): AppFeature[] => {
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return [];
  }
  const names = z.array(z.string()).safeParse(stored);
  return names.success
    ? names.data.filter((name): name is AppFeature => (APP_FEATURES as readonly string[]).includes(name))
    : [];
});

const FUNCTION_UPSERT = `INSERT INTO functions (id, app_id, name, triggers, config, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (id) DO UPDATE SET app_id = excluded.app_id, name = excluded.name, triggers = excluded.triggers,
  config = excluded.config, updated_at = excluded.updated_at
WHERE functions.app_id = excluded.app_id`;

/**
 * Stores `app` with exactly `functions`: new and changed ones written, ones it no longer serves
 * deleted. A function id another app holds is never taken over (see {@link takenFunctionIds}).
 */
export async function saveApp(
  db: D1Database,
  app: Omit<StoredApp, "functions">,
  functions: { id: string; config: FunctionConfig; triggers: Trigger[] }[],
): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO apps (id, target, sdk, features, synced_at) VALUES (?1, ?2, ?3, ?5, ?4) ON CONFLICT (id) DO UPDATE SET target = excluded.target, sdk = excluded.sdk, features = excluded.features, synced_at = excluded.synced_at`,
      )
      .bind(app.id, JSON.stringify(app.target), app.sdk, app.syncedAt, JSON.stringify(app.features)),
    db
      .prepare(`DELETE FROM functions WHERE app_id = ?1 AND id NOT IN (SELECT value FROM json_each(?2))`)
      .bind(app.id, JSON.stringify(functions.map((fn) => fn.id))),
    ...functions.map((fn) =>
      db
        .prepare(FUNCTION_UPSERT)
        .bind(
          fn.id,
          app.id,
          fn.config.name ?? fn.id,
          JSON.stringify(fn.triggers),
          JSON.stringify(fn.config),
          app.syncedAt,
        ),
    ),
    // In the same batch, so an isolate that sees the new generation reads the new functions.
    bumpGeneration(db),
  ]);
}

const appRowSchema = z.object({
  id: z.string(),
  target: z.string(),
  sdk: z.string(),
  features: storedFeaturesSchema,
  synced_at: z.number(),
  functions: z.string(),
});

/** Every remote app, with its functions' ids. */
export async function listApps(db: D1Database): Promise<StoredApp[]> {
  const { results } = await db
    .prepare(
      `SELECT a.id, a.target, a.sdk, a.features, a.synced_at, (SELECT json_group_array(f.id) FROM functions f WHERE f.app_id = a.id) AS functions FROM apps a ORDER BY a.id`,
    )
    .all();
  return results.map((raw) => {
    const row = appRowSchema.parse(raw);
    return {
      id: row.id,
      target: appTargetSchema.parse(JSON.parse(row.target)),
      sdk: row.sdk,
      features: row.features,
      syncedAt: row.synced_at,
      functions: z.array(z.string()).parse(JSON.parse(row.functions)),
    };
  });
}

/** Where app `id` is reached, if it is registered. */
export async function appTarget(db: D1Database, id: string): Promise<AppTarget | undefined> {
  const row = await db.prepare("SELECT target FROM apps WHERE id = ?1").bind(id).first<{ target: string }>();
  return row ? appTargetSchema.parse(JSON.parse(row.target)) : undefined;
}

const functionRowSchema = z.object({
  id: z.string(),
  app_id: z.string(),
  triggers: z.string(),
  config: z.string(),
  target: z.string(),
  features: storedFeaturesSchema,
  synced_at: z.number(),
});

/** Every remote function; a row that no longer validates is left out and logged. */
export async function listRemoteFunctions(db: D1Database): Promise<RemoteFunction[]> {
  const { results } = await db
    .prepare(
      `SELECT f.id, f.app_id, f.triggers, f.config, a.target, a.features, a.synced_at FROM functions f JOIN apps a ON a.id = f.app_id`,
    )
    .all();
  return results.flatMap((raw) => {
    const row = functionRowSchema.parse(raw);
    const config = functionConfigSchema.safeParse(JSON.parse(row.config));
    const triggers = z.array(triggerSchema).safeParse(JSON.parse(row.triggers));
    const target = appTargetSchema.safeParse(JSON.parse(row.target));
    if (!config.success || !triggers.success || !target.success) {
      console.error(
        `stepwise: stored function "${row.id}" of app "${row.app_id}" no longer validates; it is skipped until the app syncs again`,
      );
      return [];
    }
    return [
      {
        id: row.id,
        appId: row.app_id,
        config: config.data,
        triggers: triggers.data,
        target: target.data,
        features: row.features,
        syncedAt: row.synced_at,
      },
    ];
  });
}

/** Which of `ids` belong to an app other than `appId` (or to the Stepwise Worker's own functions). */
export async function takenFunctionIds(
  db: D1Database,
  ids: string[],
  appId: string,
): Promise<{ id: string; appId: string }[]> {
  const { results } = await db
    .prepare(`SELECT id, app_id FROM functions WHERE id IN (SELECT value FROM json_each(?1)) AND app_id != ?2`)
    .bind(JSON.stringify(ids), appId)
    .all<{ id: string; app_id: string }>();
  return results.map((row) => ({ id: row.id, appId: row.app_id }));
}
