/**
 * Arming cron schedules: once per isolate, every cron trigger of a registered function is handed
 * to its CronScheduler, which keeps it (unchanged) or re-plans it (changed).
 */
import type { CronTarget } from "../durable-objects/schedule/cron-plan.ts";
import { cronScheduler } from "../durable-objects/schedule/cron-scheduler.ts";
import type { Env } from "./env.ts";
import { registry } from "./registry.ts";

let ensured: Promise<void> | undefined;

async function ensureOne(env: Env, target: CronTarget): Promise<void> {
  await cronScheduler(env, target).ensure(target);
}

/** Ensures every cron schedule once per isolate; later calls share the first. */
export function ensureSchedules(env: Env): Promise<void> {
  ensured ??= Promise.all(
    registry.list().flatMap((fn) =>
      fn.triggers.flatMap((trigger) =>
        "cron" in trigger ? [ensureOne(env, { functionId: fn.id, cron: trigger.cron, ...(trigger.timezone ? { timezone: trigger.timezone } : {}) })] : [],
      ),
    ),
  ).then(
    () => undefined,
    (error: unknown) => {
      ensured = undefined;
      console.error("stepwise: cron schedules were not armed; the next request tries again", error);
    },
  );
  return ensured;
}
