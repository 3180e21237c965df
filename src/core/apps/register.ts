/**
 * Registering (syncing) a remote app: Stepwise reads the app's manifest through the app's own
 * transport, validates every function exactly as `createFunction` validates an embedded one,
 * then stores it (store.ts). Syncing again is how an app adds, changes or drops functions.
 */
import { z } from "zod";
import { appManifestSchema, type AppTarget, type RegisteredApp } from "../../../sdk/app-protocol.ts";
import { functionConfigSchema, triggerSchema, type FunctionConfig, type Trigger } from "../../../sdk/function.ts";
import type { Env } from "../env.ts";
import { unsafeAppUrl } from "../lib/app-url.ts";
import { AppCallError, bindingNamed, callApp } from "../transport/app-call.ts";
import { syncInngestApp } from "../inngest/sync.ts";
import { refuse, storeApp, type RegisterResult } from "./store.ts";

export type { RegisterResult };

/** Each function of a manifest validated, or the issues, their paths naming the function. */
function validateFunctions(manifest: z.infer<typeof appManifestSchema>): {
  functions: { id: string; config: FunctionConfig; triggers: Trigger[] }[];
  issues: z.core.$ZodIssue[];
} {
  const issues: z.core.$ZodIssue[] = [];
  const functions: { id: string; config: FunctionConfig; triggers: Trigger[] }[] = [];
  manifest.functions.forEach((fn, index) => {
    const config = functionConfigSchema.safeParse(fn.config);
    const triggers = z.array(triggerSchema).safeParse(fn.triggers);
    const at = (path: PropertyKey[]) => ["functions", index, ...path];
    if (!config.success)
      issues.push(...config.error.issues.map((issue) => ({ ...issue, path: at(["config", ...issue.path]) })));
    if (!triggers.success)
      issues.push(...triggers.error.issues.map((issue) => ({ ...issue, path: at(["triggers", ...issue.path]) })));
    if (config.success && config.data.id !== fn.id)
      issues.push({
        code: "custom",
        message: `config.id "${config.data.id}" differs from the function's id "${fn.id}"`,
        path: at(["id"]),
        input: fn.id,
      });
    if (config.success && triggers.success) functions.push({ id: fn.id, config: config.data, triggers: triggers.data });
  });
  return { functions, issues };
}

/** Reads, validates and stores the app at `target`. */
export async function registerApp(env: Env, target: AppTarget, now = Date.now()): Promise<RegisterResult> {
  if (target.protocol === "inngest") return syncInngestApp(env, target, now);
  const unsafe = "url" in target && env.STEPWISE_ENV !== "development" ? unsafeAppUrl(target.url) : null;
  if (unsafe && "url" in target)
    return refuse(400, "app_url_refused", `Stepwise will not call ${target.url.slice(0, 300)}: ${unsafe}`);
  if ("binding" in target && !bindingNamed(env, target.binding)) {
    return refuse(
      400,
      "unknown_binding",
      `This Stepwise Worker has no service binding "${target.binding}": add it under [[services]] in wrangler.toml`,
    );
  }
  let answer: { status: number; json: unknown };
  try {
    answer = await callApp(env, target, "GET");
  } catch (error) {
    const notConfigured = error instanceof AppCallError && error.kind === "not_configured";
    return refuse(
      notConfigured ? 503 : 502,
      notConfigured ? "signing_key_not_configured" : "app_unreachable",
      error instanceof Error ? error.message : String(error),
    );
  }
  if (answer.status !== 200)
    return refuse(
      502,
      "app_refused",
      `The app answered ${answer.status} to Stepwise's signed GET: ${JSON.stringify(answer.json).slice(0, 300)}`,
    );
  const manifest = appManifestSchema.safeParse(answer.json);
  if (!manifest.success)
    return refuse(
      502,
      "app_malformed",
      `The app's manifest is malformed: ${z.prettifyError(manifest.error)}`,
      manifest.error.issues,
    );
  const { functions, issues } = validateFunctions(manifest.data);
  if (issues.length > 0)
    return refuse(
      400,
      "invalid_function",
      `The app serves invalid functions: ${z.prettifyError(new z.ZodError(issues))}`,
      issues,
    );

  const { appId, sdk, features } = manifest.data;
  return storeApp(env, { id: appId, target, sdk, ...(features ? { features } : {}) }, functions, now);
}
