/**
 * What the CronScheduler of a schedule made at run time does, decided without I/O: which tick to
 * wait for when the schedule is kept (a paused one waits for none), and, when its alarm fires,
 * which tick to run and which to wait for next. As with cron triggers, a tick missed during
 * downtime runs once, and a resumed schedule does not catch up on the ticks it was paused for.
 */
import { nextScheduleTick } from "../../sdk/schedules.ts";
import type { KeptSchedule, ScheduleToKeep } from "../../src/core/schedules/kept.ts";

const sameTiming = (a: ScheduleToKeep, b: ScheduleToKeep): boolean =>
  a.cron === b.cron && a.timezone === b.timezone && a.interval === b.interval && a.anchor === b.anchor;

/**
 * The schedule to keep: the tick already waited for stays when the timing did not change and the
 * schedule was and stays running (a due tick still runs); otherwise the next tick after `now`.
 */
export function planKeep(stored: KeptSchedule | undefined, next: ScheduleToKeep, now: number): KeptSchedule {
  const last = {
    ...(stored?.lastTick !== undefined ? { lastTick: stored.lastTick } : {}),
    ...(stored?.lastRunId !== undefined ? { lastRunId: stored.lastRunId } : {}),
  };
  if (next.paused) return { ...next, nextTick: null, ...last };
  if (stored && !stored.paused && stored.nextTick !== null && sameTiming(stored, next))
    return { ...next, nextTick: stored.nextTick, ...last };
  return { ...next, nextTick: nextScheduleTick(next, now) ?? null, ...last };
}

/** What an alarm does: the tick to start a run for, if one is due, and the schedule to keep. */
export function planTick(stored: KeptSchedule, now: number): { runTick?: number; next: KeptSchedule } {
  if (stored.paused || stored.nextTick === null || stored.nextTick > now) return { next: stored };
  const runTick = stored.nextTick;
  const nextTick = nextScheduleTick(stored, Math.max(now, runTick)) ?? null;
  return { runTick, next: { ...stored, nextTick, lastTick: runTick } };
}

/**
 * The schedule to keep after a tick at `runTick` when `latest` (a change that came in while the
 * tick started its run) took the place of the one it ticked: the change, with the tick noted, and
 * waiting for a tick after this one (a change of the same timing kept the tick just run as next).
 */
export function planAfterChange(latest: KeptSchedule, runTick: number | undefined, now: number): KeptSchedule {
  if (runTick === undefined) return latest;
  const nextTick =
    latest.nextTick !== null && latest.nextTick <= runTick
      ? (nextScheduleTick(latest, Math.max(now, runTick)) ?? null)
      : latest.nextTick;
  return { ...latest, nextTick, lastTick: runTick };
}
