/**
 * Schedules made at run time, one per user or tenant ("every Monday at 9:00 in the user's zone",
 * "every 15 minutes for this account"), beside the cron triggers written in code. Each starts runs
 * of one function with its own data, on a cron expression in a time zone or on a fixed interval,
 * and can be paused, resumed, changed and deleted. These are the shapes callers send and see.
 */
import { z } from "zod";
import { cronError, nextCronTick } from "./cron.ts";
import { toMs } from "./duration.ts";

/** The shortest interval: a minute, as the shortest cron step. */
export const MIN_SCHEDULE_INTERVAL_MS = 60_000;
/** The longest interval: a year. */
export const MAX_SCHEDULE_INTERVAL_MS = 365 * 86_400_000;
/** The most a schedule's data may weigh, as JSON. */
export const MAX_SCHEDULE_DATA_BYTES = 64 * 1024;
/** The most schedules one function may have. */
export const MAX_SCHEDULES_PER_FUNCTION = 100_000;

const dataSchema = z
  .record(z.string(), z.unknown())
  .refine((data) => new TextEncoder().encode(JSON.stringify(data)).byteLength <= MAX_SCHEDULE_DATA_BYTES, {
    error: `a schedule's data may be at most ${MAX_SCHEDULE_DATA_BYTES / 1024} KiB as JSON`,
  });

const timing = {
  /** A cron expression (5 or 6 fields), in `timezone` (an IANA name; UTC when absent). */
  cron: z.string().min(1).max(256).optional(),
  timezone: z.string().min(1).max(64).optional(),
  /** Or a fixed interval (`"15m"`, `"1 day"`, milliseconds): from a minute to a year, counted from the schedule's creation. */
  interval: z.union([z.number().int(), z.string().min(1).max(64)]).optional(),
};

/** The timing's problems: exactly one of `cron` and `interval`; a zone only with a cron; each valid. */
function checkTiming(
  value: { cron?: string | undefined; timezone?: string | undefined; interval?: string | number | undefined },
  ctx: z.RefinementCtx,
  required: boolean,
): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (value.cron !== undefined && value.interval !== undefined)
    issue("interval", "give `cron` or `interval`, not both");
  else if (required && value.cron === undefined && value.interval === undefined)
    issue("cron", "give `cron` (with an optional `timezone`) or `interval`");
  if (value.timezone !== undefined && value.cron === undefined) issue("timezone", "a `timezone` goes with a `cron`");
  if (value.cron !== undefined) {
    const error = cronError(value.cron, value.timezone);
    if (error) issue("cron", error);
  }
  if (value.interval !== undefined) {
    try {
      const ms = toMs(value.interval);
      if (ms < MIN_SCHEDULE_INTERVAL_MS || ms > MAX_SCHEDULE_INTERVAL_MS)
        issue("interval", "an interval is from a minute to a year");
    } catch (error) {
      issue("interval", error instanceof Error ? error.message : String(error));
    }
  }
}

/** A new schedule (`POST /v1/schedules`, `stepwise.schedules.create`). */
export const scheduleInputSchema = z
  .object({
    functionId: z.string().min(1).max(256),
    ...timing,
    /** The run's event data (`event.data.data`). */
    data: dataSchema.default({}),
    /** Whose schedule it is (a user or tenant id), to list them by. */
    tenant: z.string().min(1).max(256).optional(),
    /** A deduplication key: creating again with the same key updates that schedule instead of adding one. */
    key: z.string().min(1).max(256).optional(),
    /** Created paused: no runs until resumed. Absent: not paused, or for a key already used, as that schedule is. */
    paused: z.boolean().optional(),
  })
  .strict()
  .superRefine((value, ctx) => checkTiming(value, ctx, true));
export type ScheduleInput = z.input<typeof scheduleInputSchema>;

/** A change (`PATCH /v1/schedules/:id`): a new `cron` or `interval` replaces the timing. */
export const schedulePatchSchema = z
  .object({ ...timing, data: dataSchema.optional(), paused: z.boolean().optional() })
  .strict()
  .superRefine((value, ctx) => checkTiming(value, ctx, false));
export type SchedulePatch = z.input<typeof schedulePatchSchema>;

/** A schedule as callers see it. */
export const scheduleViewSchema = z.object({
  id: z.string(),
  functionId: z.string(),
  cron: z.string().optional(),
  timezone: z.string().optional(),
  /** The interval in milliseconds. */
  interval: z.number().int().optional(),
  data: z.record(z.string(), z.unknown()),
  tenant: z.string().nullable(),
  key: z.string().nullable(),
  paused: z.boolean(),
  /** The next tick (null while paused). */
  nextRunAt: z.string().nullable(),
  /** The last tick that started a run, and that run (on one schedule's view; null in lists). */
  lastRunAt: z.string().nullable().optional(),
  lastRunId: z.string().nullable().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ScheduleView = z.infer<typeof scheduleViewSchema>;

/** A page of schedules, by id. */
export const schedulePageSchema = z.object({
  schedules: z.array(scheduleViewSchema),
  nextCursor: z.string().optional(),
});
export type SchedulePage = z.infer<typeof schedulePageSchema>;

/** Which schedules to list: of a function, of a tenant, a page at a time (1 to 200; 50). */
export const scheduleFilterSchema = z
  .object({
    functionId: z.string().min(1).max(256).optional(),
    tenant: z.string().min(1).max(256).optional(),
    cursor: z.string().max(300).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
export type ScheduleFilter = z.input<typeof scheduleFilterSchema>;

/** What a run started by a schedule receives as `event.data` (its event is `stepwise/cron.tick`). */
export interface ScheduleTickData {
  scheduleId: string;
  /** The tick, as an ISO time. */
  scheduledAt: string;
  cron?: string;
  timezone?: string;
  interval?: number;
  tenant?: string;
  /** The schedule's data. */
  data: Record<string, unknown>;
}

/** When a schedule fires: its cron (in its zone) or its interval counted from `anchor` (epoch ms). */
export interface ScheduleTiming {
  cron?: string | undefined;
  timezone?: string | undefined;
  interval?: number | undefined;
  anchor: number;
}

/** The first tick of `timing` strictly after `after`; undefined when it never fires again. */
export function nextScheduleTick(timing: ScheduleTiming, after: number): number | undefined {
  if (timing.cron !== undefined) return nextCronTick(timing.cron, timing.timezone, after);
  if (timing.interval === undefined || timing.interval <= 0) return undefined;
  const periods = Math.floor((after - timing.anchor) / timing.interval) + 1;
  return timing.anchor + Math.max(0, periods) * timing.interval;
}
