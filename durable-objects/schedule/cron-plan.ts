/**
 * What a cron scheduler does, decided without I/O: when (re)armed with a schedule, which tick to
 * wait for; when its alarm fires, which tick to run and which to wait for next. A tick missed
 * during downtime runs once, as the tick that was due, never once per missed tick.
 */
import { z } from "zod";
import { nextCronTick } from "../../sdk/cron.ts";
import { cronTargetSchema, type CronTarget } from "../../src/core/functions/cron-targets.ts";

export const scheduleSchema = cronTargetSchema.extend({ nextTick: z.number().int() });
/** A stored schedule: the trigger and the tick its alarm waits for. */
export type Schedule = z.infer<typeof scheduleSchema>;

const sameTarget = (a: CronTarget, b: CronTarget): boolean =>
  a.functionId === b.functionId && a.cron === b.cron && (a.timezone ?? "") === (b.timezone ?? "");

/**
 * The schedule to keep for `target`: the stored one when the trigger is unchanged (its due tick
 * still runs, even if it passed while the Worker was down), otherwise one waiting for the next tick
 * after `now`. Undefined when the expression never fires again.
 */
export function planEnsure(stored: Schedule | undefined, target: CronTarget, now: number): Schedule | undefined {
  if (stored && sameTarget(stored, target)) return stored;
  const nextTick = nextCronTick(target.cron, target.timezone, now);
  return nextTick === undefined ? undefined : { ...target, nextTick };
}

/** What an alarm does: the tick to start a run for (if one is due) and the schedule to keep. */
export interface AlarmPlan {
  runTick?: number;
  next?: Schedule;
}

/** Decides an alarm: an early alarm runs nothing; a due one runs its tick once and moves past `now`. */
export function planAlarm(stored: Schedule, now: number): AlarmPlan {
  if (stored.nextTick > now) return { next: stored };
  const nextTick = nextCronTick(stored.cron, stored.timezone, Math.max(now, stored.nextTick));
  return { runTick: stored.nextTick, ...(nextTick === undefined ? {} : { next: { ...stored, nextTick } }) };
}
