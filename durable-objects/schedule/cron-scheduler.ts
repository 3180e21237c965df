/**
 * CronScheduler: one Durable Object per cron trigger of a function, keeping its schedule and an
 * alarm for the next tick. Adding or changing a cron function needs no wrangler config: the
 * Worker ensures each schedule when it starts serving. A due tick starts one run whose id is
 * derived from (function, tick), so an alarm retried after a crash starts nothing twice.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../src/core/env.ts";
import { derivedId } from "../../src/core/lib/ids.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { getFunction } from "../../src/core/functions/catalog.ts";
import { cronTargetSchema, type CronTarget } from "../../src/core/functions/cron-targets.ts";
import { planAlarm, planEnsure, scheduleSchema, type Schedule } from "./cron-plan.ts";
import { startRun } from "../../src/core/runs/start.ts";
import { CRON_EVENT } from "../../sdk/system-events.ts";

const KEY = "schedule";

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

  override async alarm(): Promise<void> {
    await this.fire(Date.now());
  }

  /**
   * Skips time to the next tick: runs it now and waits for the one after (for tests and operators;
   * a 9:00-every-Monday schedule is walked week by week in milliseconds). Returns the run's id.
   */
  async skipToNextTick(): Promise<{ runId: string | null; nextTick: number | null }> {
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
