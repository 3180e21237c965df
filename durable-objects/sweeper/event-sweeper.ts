/**
 * EventSweeper: the start-up pass. An isolate that starts serving asks for one
 * ({@link EventSweeper.recover}): every EventShard re-queues at once the events accepted before the
 * isolate started and still unrouted (a restart lost the local queue's messages), instead of a
 * grace period later; shards that do not know the listened event names yet are given them (see
 * src/core/events/listening.ts); and live runs re-arm alarms a restart left late (see
 * durable-objects/sweeper/resume-runs.ts). One object, asked at most once per isolate start and
 * running at most every {@link RECOVER_EVERY_MS}: never on an event's path. The sweeping of
 * unrouted events itself is each EventShard's own alarm (durable-objects/events/event-shard.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { recoverShards } from "../../src/core/events/store.ts";
import { settleListening } from "../../src/core/events/listening.ts";
import { resumeRuns } from "./resume-runs.ts";

/** Start-up passes run at most this often: every isolate asks when it starts, and there may be many. */
export const RECOVER_EVERY_MS = 10_000;

/** A start-up pass to do: events accepted before `before` (when the isolate started) are presumed lost. */
const recoverySchema = z.object({ before: z.number() });

export class EventSweeper extends DurableObject<Env> {
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
   * The start-up pass: every shard re-queues its events accepted before the isolate started and
   * not re-queued since (elsewhere than after a crash a few are re-queued needlessly, which
   * routing ignores), then the live runs re-arm.
   */
  private async recoverOnce(before: number): Promise<void> {
    await recoverShards(this.env, before);
    const settled = await settleListening(this.env);
    if (settled > 0) console.log(`stepwise: ${settled} event shard(s) now know the listened event names`);
    const runs = await resumeRuns(this.env);
    if (runs.rearmed > 0)
      console.warn(
        `stepwise: ${runs.rearmed} of ${runs.asked} live run(s) had a late or missing alarm after a restart; re-armed`,
      );
  }

  override async alarm(): Promise<void> {
    const recovery = recoverySchema.optional().parse(await this.ctx.storage.get("recovery"));
    if (!recovery) return;
    await this.recoverOnce(recovery.before);
    // A start that asked while this pass ran is covered by a later one.
    const asked = recoverySchema.optional().parse(await this.ctx.storage.get("recovery"));
    if (asked && asked.before === recovery.before) await this.ctx.storage.delete("recovery");
    await this.ctx.storage.put("recoveredAt", Date.now());
    if (asked && asked.before !== recovery.before) await this.ctx.storage.setAlarm(Date.now() + RECOVER_EVERY_MS);
  }
}
