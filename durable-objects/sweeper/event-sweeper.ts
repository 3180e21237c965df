/**
 * EventSweeper: the start-up pass. An isolate that starts serving asks for one
 * ({@link EventSweeper.recover}): every EventShard re-queues at once the events accepted before the
 * isolate started and still unrouted (a restart lost the local queue's messages), instead of a
 * grace period later; shards that do not know the listened event names yet are given them (see
 * src/core/events/listening.ts); and live runs re-arm alarms a restart left late (see
 * durable-objects/sweeper/resume-runs.ts). One object, asked at most once per isolate start and
 * running at most every {@link RECOVER_EVERY_MS}: never on an event's path. With the Worker's
 * version metadata bound, one pass per deployment version: isolates keep starting while a version
 * serves (a pass per start would re-queue a queue's backlog every 10 s), and what a pass is for
 * happens when a version starts (locally every start is a new version: miniflare makes up an id). The sweeping of
 * unrouted events itself is each EventShard's own alarm (durable-objects/events/event-shard.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../src/core/env.ts";
import { recoverShards } from "../../src/core/events/store.ts";
import { settleListening } from "../../src/core/events/listening.ts";
import { announceCatalogOrLog } from "../../src/core/functions/catalog-generation.ts";
import { resumeRuns } from "./resume-runs.ts";
import { moveLegacyRuns } from "../../src/core/run-index/legacy-d1-runs.ts";

/** Start-up passes run at most this often: every isolate asks when it starts, and there may be many. */
export const RECOVER_EVERY_MS = 10_000;

/** A start-up pass to do: events accepted before `before` (when the isolate started) are presumed lost. */
const recoverySchema = z.object({ before: z.number(), version: z.string().optional() });

/** Versions whose pass has run, newest last: enough to cover a gradual deployment's few versions. */
const PASSED_VERSIONS_KEPT = 20;
const passedSchema = z.array(z.string()).catch([]);

export class EventSweeper extends DurableObject<Env> {
  /**
   * An isolate started serving at `startedAt`: schedules a start-up pass covering it, now, or
   * {@link RECOVER_EVERY_MS} after the last pass when one ran more recently (a restart soon after
   * another still gets its pass, a little later). The pass runs in the alarm, so a failure is
   * retried by the runtime and the asking request does not wait for it. Returns when it will run,
   * or null when deployment version `version` has had its pass already.
   */
  async recover(startedAt: number, version?: string): Promise<number | null> {
    const now = Date.now();
    const before = Math.min(z.number().parse(startedAt), now);
    const asking = z.string().optional().parse(version);
    if (asking !== undefined && passedSchema.parse(await this.ctx.storage.get("passedVersions")).includes(asking))
      return null;
    const last = z
      .number()
      .optional()
      .parse(await this.ctx.storage.get("recoveredAt"));
    const pending = recoverySchema.optional().parse(await this.ctx.storage.get("recovery"));
    const at = last === undefined ? now : Math.max(now, last + RECOVER_EVERY_MS);
    // Later isolates of a version whose pass is pending do not move its start: what they presume
    // lost is the queue's backlog, not what a restart dropped.
    const sameVersion = asking !== undefined && pending?.version === asking;
    if (!pending || (!sameVersion && (pending.before < before || pending.version !== asking)))
      await this.ctx.storage.put("recovery", {
        before: Math.max(before, pending?.before ?? before),
        ...(asking !== undefined ? { version: asking } : {}),
      });
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
    // Settling has its own retry (every cron tick): a failure here must not hold up the runs' half.
    await settleListening(this.env).then(
      (settled) => {
        if (settled > 0) console.log(`stepwise: ${settled} event shard(s) now know the listened event names`);
      },
      (error: unknown) =>
        console.error("stepwise: the shards were not given the listened names; the tick tries again", error),
    );
    await announceCatalogOrLog(this.env);
    // Runs D1 still indexes (from before the index shards) are moved first, so their live ones resume.
    await moveLegacyRuns(this.env).then(
      (moved) => {
        if (moved > 0) console.log(`stepwise: moved ${moved} run(s) from D1's index into the run-index shards`);
      },
      (error: unknown) =>
        console.error("stepwise: moving D1's run index into the shards failed; the tick goes on", error),
    );
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
    const askedAgain = asked !== undefined && (asked.before !== recovery.before || asked.version !== recovery.version);
    if (asked && !askedAgain) await this.ctx.storage.delete("recovery");
    await this.ctx.storage.put("recoveredAt", Date.now());
    if (recovery.version !== undefined) {
      const passed = passedSchema
        .parse(await this.ctx.storage.get("passedVersions"))
        .filter((v) => v !== recovery.version);
      await this.ctx.storage.put("passedVersions", [...passed, recovery.version].slice(-PASSED_VERSIONS_KEPT));
    }
    if (askedAgain) await this.ctx.storage.setAlarm(Date.now() + RECOVER_EVERY_MS);
  }
}
