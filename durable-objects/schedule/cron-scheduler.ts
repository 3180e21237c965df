/**
 * CronScheduler: one Durable Object per cron trigger of a function, or per schedule made at run
 * time (`/v1/schedules`), keeping its schedule and an alarm for the next tick. Adding or changing
 * a cron function needs no wrangler config: the Worker ensures each schedule when it starts
 * serving. A due tick starts one run whose id is derived from (function or schedule, tick), so an
 * alarm retried after a crash starts nothing twice. Thousands of schedules are thousands of
 * objects, each woken only by its own alarm.
 */
import { alertCronLate } from "../../src/core/alerts/checks.ts";
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { derivedId } from "../../src/core/lib/ids.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { getFunction } from "../../src/core/functions/catalog.ts";
import { cronTargetSchema, type CronTarget } from "../../src/core/functions/cron-targets.ts";
import { planAlarm, planEnsure, scheduleSchema, type Schedule } from "./cron-plan.ts";
import { startRun } from "../../src/core/runs/start.ts";
import { CRON_EVENT } from "../../sdk/system-events.ts";
import type { ScheduleTickData } from "../../sdk/schedules.ts";
import { planAfterChange, planKeep, planTick } from "./schedule-plan.ts";
import { keptScheduleSchema, type KeptSchedule, type ScheduleToKeep } from "../../src/core/schedules/kept.ts";

const KEY = "schedule";
/** A tick this late is one a `cron_missed` rule may care about (its tolerance is a minute at least). */
const LATE_TICK_MS = 60_000;
/** Where a schedule made at run time is kept (an object keeps one or the other). */
const KEPT = "kept";
/** When the schedule made at run time was deleted: a telling of an older version is ignored. */
const DROPPED = "dropped-at";

export class CronScheduler extends DurableObject<Env> {
  private async stored(): Promise<Schedule | undefined> {
    const value = await this.ctx.storage.get(KEY);
    return value === undefined ? undefined : scheduleSchema.parse(value);
  }

  private async keep(schedule: Schedule | undefined): Promise<void> {
    if (!schedule) return this.remove();
    await this.ctx.storage.put(KEY, schedule);
    if ((await this.ctx.storage.getAlarm()) !== schedule.nextTick) await this.ctx.storage.setAlarm(schedule.nextTick);
  }

  /** Keeps this function's schedule in line with its trigger; returns the tick it waits for. */
  async ensure(target: CronTarget): Promise<{ nextTick: number | null }> {
    const input = parseInput(cronTargetSchema, target, "cron schedule");
    const schedule = planEnsure(await this.stored(), input, Date.now());
    await this.keep(schedule);
    return { nextTick: schedule?.nextTick ?? null };
  }

  /** Forgets the schedule (the function or its cron trigger is gone). */
  async remove(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.delete(KEY);
  }

  /** The stored schedule, for the API and tests. */
  async describe(): Promise<Schedule | null> {
    return (await this.stored()) ?? null;
  }

  /**
   * Keeps a schedule made at run time (created, changed, paused or resumed); returns what it keeps.
   * A copy older than the one kept, or than the schedule's deletion, changes nothing: tellings of
   * one schedule may arrive out of order (two changes racing, a read repairing a deleted one).
   */
  async keepSchedule(schedule: ScheduleToKeep): Promise<KeptSchedule | null> {
    const input = parseInput(
      keptScheduleSchema.omit({ nextTick: true, lastTick: true, lastRunId: true }),
      schedule,
      "schedule",
    );
    const stored = await this.kept();
    const version = input.version ?? 0;
    if (stored && (stored.version ?? 0) > version) return stored;
    const droppedAt = z
      .number()
      .optional()
      .catch(undefined)
      .parse(await this.ctx.storage.get(DROPPED));
    if (!stored && droppedAt !== undefined && droppedAt >= version) return null;
    const kept = planKeep(stored, input, Date.now());
    await this.ctx.storage.put(KEPT, kept);
    await this.ctx.storage.delete(DROPPED);
    await this.armFor(kept);
    return kept;
  }

  /** The schedule made at run time, with its ticks; null when none is kept here. */
  async keptSchedule(): Promise<KeptSchedule | null> {
    return (await this.kept()) ?? null;
  }

  /** Forgets the schedule made at run time (deleted at `at`); a telling older than that is ignored. */
  async dropSchedule(at: number): Promise<void> {
    const droppedAt = parseInput(z.number().int(), at, "deletion time");
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.delete(KEPT);
    await this.ctx.storage.put(DROPPED, droppedAt);
  }

  override async alarm(): Promise<void> {
    if (await this.kept()) await this.fireKept(Date.now());
    else await this.fire(Date.now());
  }

  private async kept(): Promise<KeptSchedule | undefined> {
    const value = await this.ctx.storage.get(KEPT);
    return value === undefined ? undefined : keptScheduleSchema.parse(value);
  }

  private async armFor(kept: KeptSchedule): Promise<void> {
    if (kept.nextTick === null) await this.ctx.storage.deleteAlarm();
    else if ((await this.ctx.storage.getAlarm()) !== kept.nextTick) await this.ctx.storage.setAlarm(kept.nextTick);
  }

  /**
   * A schedule's due tick: one run, started before the next tick is stored (so a crash re-runs the
   * same derived run id). A tick of a function no longer registered starts nothing and is logged;
   * the schedule keeps ticking, as the function may come back with the next deployment.
   */
  private async fireKept(now: number): Promise<string | undefined> {
    const stored = await this.kept();
    if (!stored) return undefined;
    const plan = planTick(stored, now);
    let runId: string | undefined;
    if (plan.runTick !== undefined) {
      if (await getFunction(this.env, stored.functionId)) runId = await this.startScheduled(stored, plan.runTick);
      else console.error(`stepwise: schedule ${stored.id} ticked for "${stored.functionId}", which is not registered`);
    }
    // The awaits above let other calls in: a schedule deleted meanwhile stays deleted, and one
    // changed meanwhile keeps its change, with this tick noted on it.
    const latest = await this.kept();
    if (!latest) return runId;
    const ran = runId ? { lastRunId: runId } : {};
    const next =
      JSON.stringify(latest) === JSON.stringify(stored)
        ? { ...plan.next, ...ran }
        : { ...planAfterChange(latest, plan.runTick, now), ...ran };
    await this.ctx.storage.put(KEPT, next);
    await this.armFor(next);
    if (runId && plan.runTick !== undefined)
      await this.lateTick(stored.functionId, plan.runTick, runId, now, stored.id);
    return runId;
  }

  /** A tick that started its run a minute or more late may call for a `cron_missed` alert (never thrown). */
  private async lateTick(functionId: string, tick: number, runId: string, now: number, scheduleId?: string) {
    if (now - tick < LATE_TICK_MS) return;
    await alertCronLate(this.env, { functionId, tick, runId, ...(scheduleId ? { scheduleId } : {}) }, now).catch(
      (error: unknown) => console.error(`stepwise: the late tick of ${functionId} could not raise its alerts`, error),
    );
  }

  private async startScheduled(schedule: KeptSchedule, tick: number): Promise<string> {
    const runId = await derivedId(tick, "schedule", schedule.id, String(tick));
    const data: ScheduleTickData = {
      scheduleId: schedule.id,
      scheduledAt: new Date(tick).toISOString(),
      ...(schedule.cron !== undefined ? { cron: schedule.cron, timezone: schedule.timezone ?? "UTC" } : {}),
      ...(schedule.interval !== undefined ? { interval: schedule.interval } : {}),
      ...(schedule.tenant !== undefined ? { tenant: schedule.tenant } : {}),
      data: schedule.data,
    };
    await startRun(this.env, {
      runId,
      functionId: schedule.functionId,
      events: [{ id: `schedule-${schedule.id}-${tick}`, name: CRON_EVENT, data: { ...data }, ts: tick }],
    });
    return runId;
  }

  /**
   * Skips time to the next tick: runs it now and waits for the one after (for tests and operators;
   * a 9:00-every-Monday schedule is walked week by week in milliseconds). Returns the run's id.
   */
  async skipToNextTick(): Promise<{ runId: string | null; nextTick: number | null }> {
    const kept = await this.kept();
    if (kept) {
      const runId = kept.nextTick === null ? undefined : await this.fireKept(Math.max(Date.now(), kept.nextTick));
      return { runId: runId ?? null, nextTick: (await this.kept())?.nextTick ?? null };
    }
    const stored = await this.stored();
    if (!stored) return { runId: null, nextTick: null };
    const runId = await this.fire(Math.max(Date.now(), stored.nextTick));
    return { runId: runId ?? null, nextTick: (await this.stored())?.nextTick ?? null };
  }

  private async fire(now: number): Promise<string | undefined> {
    const stored = await this.stored();
    if (!stored) return undefined;
    const fn = await getFunction(this.env, stored.functionId);
    const stillScheduled = fn?.triggers.some(
      (trigger) => "cron" in trigger && trigger.cron === stored.cron && trigger.timezone === stored.timezone,
    );
    if (!stillScheduled) {
      await this.remove();
      return undefined;
    }
    const plan = planAlarm(stored, now);
    // The run starts before the next tick is stored: a crash in between re-runs this alarm, which
    // starts the same derived run id again, harmlessly, instead of losing the tick.
    const runId = plan.runTick === undefined ? undefined : await this.startRun(stored, plan.runTick);
    await this.keep(plan.next);
    if (runId && plan.runTick !== undefined) await this.lateTick(stored.functionId, plan.runTick, runId, now);
    return runId;
  }

  private async startRun(schedule: Schedule, tick: number): Promise<string> {
    const runId = await derivedId(tick, schedule.functionId, "cron", String(tick));
    const data = {
      cron: schedule.cron,
      timezone: schedule.timezone ?? "UTC",
      scheduledAt: new Date(tick).toISOString(),
    };
    await startRun(this.env, {
      runId,
      functionId: schedule.functionId,
      events: [{ id: `cron-${schedule.functionId}-${tick}`, name: CRON_EVENT, data, ts: tick }],
    });
    return runId;
  }
}
