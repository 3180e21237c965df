/**
 * Schedules made at run time: the one place every door (HTTP, RPC, dashboard) creates, changes,
 * lists and deletes them. D1's `schedules` table is the list of record, written first; then the
 * schedule's CronScheduler is told, which arms its alarm. A failure between the two leaves a row
 * whose object is told again on the next read of that schedule or the next change, so nothing
 * accepted is lost, and a retried create (same key) is harmless.
 */
import { toMs } from "../../../sdk/duration.ts";
import {
  MAX_SCHEDULES_PER_FUNCTION,
  nextScheduleTick,
  type ScheduleView,
  type scheduleInputSchema,
  type schedulePatchSchema,
} from "../../../sdk/schedules.ts";
import type { z } from "zod";
import { keptScheduleSchema, type KeptSchedule } from "./kept.ts";
import type { Env } from "../env.ts";
import {
  countSchedules,
  deleteScheduleRow,
  readSchedule,
  readSchedules,
  writeSchedule,
  type StoredSchedule,
} from "../db/schedules.ts";
import { newId } from "../lib/ids.ts";
import { scheduleObject } from "../objects.ts";

type NewSchedule = z.output<typeof scheduleInputSchema>;
type Patch = z.output<typeof schedulePatchSchema>;

/** Why a schedule change was refused, as the doors answer it. */
export type ScheduleRefusal = { status: 404 | 409; code: string; message: string };
type Answer<T> = { ok: true; value: T } | { ok: false; refusal: ScheduleRefusal };

const ISO = (ms: number | undefined | null): string | null =>
  ms === undefined || ms === null ? null : new Date(ms).toISOString();

/** The id a deduplication key gives: the same key, the same schedule. */
async function keyedId(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`schedule:${key}`)));
  return `sch_k${[...digest.subarray(0, 12)].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** A schedule as callers see it; `kept` (its object's state) adds the real next and last ticks. */
export function scheduleView(schedule: StoredSchedule, now: number, kept?: KeptSchedule | null): ScheduleView {
  const next = kept ? kept.nextTick : schedule.paused ? null : (nextScheduleTick(schedule, now) ?? null);
  return {
    id: schedule.id,
    functionId: schedule.functionId,
    ...(schedule.cron !== undefined ? { cron: schedule.cron, timezone: schedule.timezone ?? "UTC" } : {}),
    ...(schedule.interval !== undefined ? { interval: schedule.interval } : {}),
    data: schedule.data,
    tenant: schedule.tenant ?? null,
    key: schedule.key ?? null,
    paused: schedule.paused,
    nextRunAt: ISO(next),
    ...(kept !== undefined ? { lastRunAt: ISO(kept?.lastTick), lastRunId: kept?.lastRunId ?? null } : {}),
    createdAt: new Date(schedule.createdAt).toISOString(),
    updatedAt: new Date(schedule.updatedAt).toISOString(),
  };
}

/** Tells the schedule's object what to keep; answers what it keeps (null: it was deleted since). */
async function tell(env: Env, schedule: StoredSchedule): Promise<KeptSchedule | null> {
  const { id, functionId, cron, timezone, interval, anchor, data, tenant, paused, updatedAt } = schedule;
  const kept = await scheduleObject(env, id).keepSchedule({
    id,
    functionId,
    anchor,
    data,
    paused,
    version: updatedAt,
    ...(cron !== undefined ? { cron } : {}),
    ...(timezone !== undefined ? { timezone } : {}),
    ...(interval !== undefined ? { interval } : {}),
    ...(tenant !== undefined ? { tenant } : {}),
  });
  return keptScheduleSchema.nullable().parse(kept);
}

/**
 * Creates a schedule, or with a `key` already used, makes that schedule this one (its id and
 * creation stay). Refused past {@link MAX_SCHEDULES_PER_FUNCTION}, or when the key is another
 * function's.
 */
export async function createSchedule(
  env: Env,
  input: NewSchedule,
): Promise<Answer<{ schedule: ScheduleView; created: boolean }>> {
  const now = Date.now();
  const id = input.key ? await keyedId(input.key) : `sch_${newId()}`;
  const existing = input.key ? await readSchedule(env.DB, id) : undefined;
  if (existing && existing.functionId !== input.functionId)
    return refused(409, "schedule_key_taken", `The key "${input.key}" names a schedule of "${existing.functionId}"`);
  if (!existing && (await countSchedules(env.DB, input.functionId)) >= MAX_SCHEDULES_PER_FUNCTION)
    return refused(
      409,
      "too_many_schedules",
      `"${input.functionId}" has ${MAX_SCHEDULES_PER_FUNCTION.toLocaleString("en-US")} schedules, the most a function may have; delete some first`,
    );
  const schedule: StoredSchedule = {
    id,
    functionId: input.functionId,
    ...timingOf(input, existing, now),
    data: input.data,
    ...(input.tenant !== undefined ? { tenant: input.tenant } : {}),
    ...(input.key !== undefined ? { key: input.key } : {}),
    // Creating again with a key (an "ensure" on each sign-in) keeps an operator's pause.
    paused: input.paused ?? existing?.paused ?? false,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  await writeSchedule(env.DB, schedule);
  const kept = await tell(env, schedule);
  return { ok: true, value: { schedule: scheduleView(schedule, now, kept), created: !existing } };
}

/** The timing of a new or changed schedule; an interval keeps its anchor unless the interval changed. */
function timingOf(
  input: { cron?: string | undefined; timezone?: string | undefined; interval?: string | number | undefined },
  before: StoredSchedule | undefined,
  now: number,
): Pick<StoredSchedule, "cron" | "timezone" | "interval" | "anchor"> {
  if (input.cron !== undefined)
    return { cron: input.cron, ...(input.timezone !== undefined ? { timezone: input.timezone } : {}), anchor: now };
  const interval = toMs(input.interval!);
  return { interval, anchor: before?.interval === interval ? before.anchor : now };
}

/** Changes a schedule: its timing, data, or paused state. */
export async function updateSchedule(env: Env, id: string, patch: Patch): Promise<Answer<ScheduleView>> {
  const before = await readSchedule(env.DB, id);
  if (!before) return notFound(id);
  const now = Date.now();
  const retimed = patch.cron !== undefined || patch.interval !== undefined;
  const { cron: _cron, timezone: _timezone, interval: _interval, anchor: _anchor, ...rest } = before;
  const schedule: StoredSchedule = {
    ...rest,
    ...(retimed
      ? // A new cron without a zone stays in the schedule's zone.
        timingOf(
          { ...patch, timezone: patch.timezone ?? (patch.cron !== undefined ? before.timezone : undefined) },
          before,
          now,
        )
      : { cron: _cron, timezone: _timezone, interval: _interval, anchor: _anchor }),
    ...(patch.data !== undefined ? { data: patch.data } : {}),
    ...(patch.paused !== undefined ? { paused: patch.paused } : {}),
    updatedAt: now,
  };
  await writeSchedule(env.DB, schedule);
  return { ok: true, value: scheduleView(schedule, now, await tell(env, schedule)) };
}

/**
 * One schedule with its real next and last ticks. An object that lost it, or keeps an older copy
 * (a change whose telling failed after its row was written), is told again: D1 is the record.
 */
export async function getSchedule(env: Env, id: string): Promise<ScheduleView | undefined> {
  const schedule = await readSchedule(env.DB, id);
  if (!schedule) return undefined;
  const found = keptScheduleSchema.nullable().parse(await scheduleObject(env, id).keptSchedule());
  const kept = found && (found.version ?? 0) >= schedule.updatedAt ? found : await tell(env, schedule);
  return scheduleView(schedule, Date.now(), kept);
}

/** A page of schedules by id; `after` is the last id of the page before. */
export async function listSchedules(
  env: Env,
  filter: { functionId?: string | undefined; tenant?: string | undefined; after?: string | undefined; limit: number },
): Promise<{ schedules: ScheduleView[]; next?: string }> {
  const rows = await readSchedules(env.DB, { ...filter, afterId: filter.after, limit: filter.limit + 1 });
  const page = rows.slice(0, filter.limit);
  const now = Date.now();
  const last = page.at(-1);
  return {
    schedules: page.map((row) => scheduleView(row, now)),
    ...(rows.length > page.length && last ? { next: last.id } : {}),
  };
}

/**
 * Deletes a schedule: its object's alarm first, then its row, so a failure between the two leaves
 * a schedule still listed (and deleted again) rather than an object ticking for a schedule no list
 * shows. False when there was none.
 */
export async function deleteSchedule(env: Env, id: string): Promise<boolean> {
  // The object refuses tellings of this version or older from now on: the row's own version, not
  // this isolate's clock, so a schedule made again later with the same key is always newer.
  const row = await readSchedule(env.DB, id);
  await scheduleObject(env, id).dropSchedule(row?.updatedAt ?? Date.now());
  return deleteScheduleRow(env.DB, id);
}

const refused = (status: 404 | 409, code: string, message: string) =>
  ({ ok: false, refusal: { status, code, message } }) as const;
const notFound = (id: string) => refused(404, "schedule_not_found", `No schedule "${id}"`);
