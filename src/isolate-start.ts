/**
 * What an isolate does once, when it first serves: hand every cron trigger of a registered
 * function to its CronScheduler (which keeps it or re-plans it), and bring the D1 function
 * catalogue in line with the registry. A failure is logged and retried by the next request.
 */
import type { CronTarget } from "../durable-objects/schedule/cron-plan.ts";
import type { Trigger } from "../sdk/function.ts";
import { cronScheduler } from "../durable-objects/schedule/cron-scheduler.ts";
import { syncFunctions } from "./db/functions.ts";
import type { Env } from "./env.ts";
import { registry } from "./registry.ts";

let started: Promise<void> | undefined;

/** Hands one cron trigger to its CronScheduler, which keeps it or plans it anew. */
export async function ensureOne(env: Env, target: CronTarget): Promise<void> {
  await cronScheduler(env, target).ensure(target);
}

/** The cron triggers of `functions`, as schedules to keep. */
export function cronTargets(functions: { id: string; triggers: Trigger[] }[]): CronTarget[] {
  return functions.flatMap((fn) => fn.triggers.flatMap((trigger) => ("cron" in trigger ? [{ functionId: fn.id, cron: trigger.cron, ...(trigger.timezone ? { timezone: trigger.timezone } : {}) }] : [])));
}

/** Arms schedules and syncs the catalogue once per isolate; later calls share the first. */
export function startIsolate(env: Env): Promise<void> {
  started ??= Promise.all([...cronTargets(registry.list()).map((target) => ensureOne(env, target)), syncFunctions(env.DB, registry.list(), Date.now())]).then(
    () => undefined,
    (error: unknown) => {
      started = undefined;
      console.error("stepwise: cron schedules or the function catalogue were not updated; the next request tries again", error);
    },
  );
  return started;
}
