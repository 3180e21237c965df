/**
 * EventSweeper: the safety net under the EVENTS queue. Ingestion arms it before answering; its
 * alarm re-queues every event accepted but still unrouted after a grace period (the queue lost it,
 * or the Worker restarted between accept and route), and re-arms while any event is unrouted. An
 * event re-queued before waits twice as long each time, so one whose routing keeps failing does not
 * add load every 30 s while routing is behind. While routing makes progress (an event was routed
 * within the grace period), an unrouted event is taken to be behind in the queue, not lost, until
 * it is {@link SWEEP_BEHIND_MS} old: re-queuing a backlog would only route it twice.
 * Routing is idempotent, so re-queuing an event that was merely slow starts nothing twice.
 *
 * An isolate that starts serving asks for a start-up pass too ({@link EventSweeper.recover}): the
 * events accepted before it started are re-queued at once instead of a grace period later, and
 * live runs re-arm alarms a restart left late (see durable-objects/sweeper/resume-runs.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { claimUnrouted, hasUnrouted, routedSince } from "../../src/core/db/events.ts";
import type { Env } from "../../src/core/env.ts";
import { enqueueEvents } from "../../src/core/events/enqueue.ts";
import { resumeRuns } from "./resume-runs.ts";

/** An event unrouted this long after it was accepted (or last re-queued) is presumed lost by the queue. */
export const SWEEP_GRACE_MS = 30_000;
/** While routing makes progress, an unrouted event is presumed behind, not lost, until this old. */
export const SWEEP_BEHIND_MS = 10 * 60_000;
/** Events re-queued per alarm; the alarm comes back at once for the rest. */
const SWEEP_LIMIT = 5_000;
/** Start-up passes run at most this often: every isolate asks when it starts, and there may be many. */
export const RECOVER_EVERY_MS = 10_000;

/**
 * Events accepted this shortly before an isolate started are left to their queue message, which
 * is most likely still on its way: elsewhere than after a crash a new isolate is routine, and its
 * pass should not re-queue the events in flight. A restart takes longer than this, so what a
 * crash lost is all older.
 */
const IN_FLIGHT_MS = 2_000;

/** A start-up pass to do: events accepted before `before` (when the isolate started) are presumed lost. */
const recoverySchema = z.object({ before: z.number() });

export class EventSweeper extends DurableObject<Env> {
  /** Arms the sweep (if not armed) and returns when it will run. */
  async arm(): Promise<number> {
    const armed = await this.ctx.storage.getAlarm();
    if (armed !== null) return armed;
    const at = Date.now() + SWEEP_GRACE_MS;
    await this.ctx.storage.setAlarm(at);
    return at;
  }

  /**
   * An isolate started serving at `startedAt`: schedules a start-up pass covering it, now, or
   * {@link RECOVER_EVERY_MS} after the last pass when one ran more recently (a restart soon after
   * another still gets its pass, a little later). The pass runs in the alarm, so a failure is
   * retried by the runtime and the asking request does not wait for it. Returns when it will run.
   */
  async recover(startedAt: number): Promise<number> {
    const now = Date.now();
    const before = Math.min(z.number().parse(startedAt), now);
    const last = z
      .number()
      .optional()
      .parse(await this.ctx.storage.get("recoveredAt"));
    const pending = recoverySchema.optional().parse(await this.ctx.storage.get("recovery"));
    const at = last === undefined ? now : Math.max(now, last + RECOVER_EVERY_MS);
    if (!pending || pending.before < before) await this.ctx.storage.put("recovery", { before });
    const armed = await this.ctx.storage.getAlarm();
    if (armed !== null && armed <= at) return armed;
    await this.ctx.storage.setAlarm(at);
    return at;
  }

  /**
   * Re-queues events that stayed unrouted past the grace period, each one a grace period later
   * than the last time, then twice that, and so on (see claimUnrouted); returns how many.
   */
  async sweep(): Promise<number> {
    const now = Date.now();
    const behind = await routedSince(this.env.DB, now - SWEEP_GRACE_MS);
    return this.requeue(
      await claimUnrouted(
        this.env.DB,
        now - (behind ? SWEEP_BEHIND_MS : SWEEP_GRACE_MS),
        now,
        SWEEP_LIMIT,
        SWEEP_GRACE_MS,
      ),
    );
  }

  private async requeue(ids: string[]): Promise<number> {
    if (ids.length > 0) {
      console.warn(`stepwise: re-queuing ${ids.length} event(s) accepted but not routed`);
      await enqueueEvents(this.env.EVENTS, ids);
    }
    return ids.length;
  }

  /**
   * The start-up pass: every event accepted before the isolate started and not re-queued since
   * (a restart lost the local queue's messages; elsewhere a few are re-queued needlessly, which
   * routing ignores), then the live runs. True when it is done; false when events remain.
   */
  private async recoverOnce(before: number): Promise<boolean> {
    const now = Date.now();
    const requeued = await this.requeue(
      await claimUnrouted(this.env.DB, Math.min(before, now - IN_FLIGHT_MS), now, SWEEP_LIMIT),
    );
    if (requeued === SWEEP_LIMIT) return false;
    const runs = await resumeRuns(this.env);
    if (runs.rearmed > 0)
      console.warn(
        `stepwise: ${runs.rearmed} of ${runs.asked} live run(s) had a late or missing alarm after a restart; re-armed`,
      );
    return true;
  }

  override async alarm(): Promise<void> {
    const recovery = recoverySchema.optional().parse(await this.ctx.storage.get("recovery"));
    if (recovery) {
      if (!(await this.recoverOnce(recovery.before))) return this.ctx.storage.setAlarm(Date.now());
      // A start that asked while this pass ran is covered by a later one.
      const asked = recoverySchema.optional().parse(await this.ctx.storage.get("recovery"));
      if (asked && asked.before === recovery.before) await this.ctx.storage.delete("recovery");
      await this.ctx.storage.put("recoveredAt", Date.now());
      if (asked && asked.before !== recovery.before) return this.ctx.storage.setAlarm(Date.now() + RECOVER_EVERY_MS);
    }
    const swept = await this.sweep();
    if (swept === SWEEP_LIMIT) await this.ctx.storage.setAlarm(Date.now());
    else if (await hasUnrouted(this.env.DB)) await this.ctx.storage.setAlarm(Date.now() + SWEEP_GRACE_MS);
  }
}
