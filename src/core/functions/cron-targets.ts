/**
 * Cron triggers as schedules to keep: each function's `cron` triggers, handed to the
 * CronScheduler named for that trigger, which keeps the schedule or plans it anew. An isolate
 * does this when it first serves; syncing a remote app does it for the app's functions.
 */
import { z } from "zod";
import type { Trigger } from "../../../sdk/function.ts";
import type { Env } from "../env.ts";
import { cronScheduler } from "../objects.ts";

export const cronTargetSchema = z.object({
  functionId: z.string().min(1),
  cron: z.string().min(1),
  timezone: z.string().optional(),
});
/** A function's cron trigger. */
export type CronTarget = z.infer<typeof cronTargetSchema>;

/** Hands one cron trigger to its CronScheduler, which keeps it or plans it anew. */
export async function ensureOne(env: Env, target: CronTarget): Promise<void> {
  await cronScheduler(env, target).ensure(target);
}

/** The cron triggers of `functions`, as schedules to keep. */
export function cronTargets(functions: { id: string; triggers: Trigger[] }[]): CronTarget[] {
  return functions.flatMap((fn) =>
    fn.triggers.flatMap((trigger) =>
      "cron" in trigger
        ? [{ functionId: fn.id, cron: trigger.cron, ...(trigger.timezone ? { timezone: trigger.timezone } : {}) }]
        : [],
    ),
  );
}
