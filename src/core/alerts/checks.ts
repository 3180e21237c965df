/**
 * The alerts not raised by a failing run: a cron tick started late (the CronScheduler asks when it
 * fires), and, on the Worker's cron tick, events not being routed and runs waiting too long for a
 * concurrency slot. Each goes out once per incident (incidents.ts). The tick then ends the incidents
 * whose condition cleared (resolve.ts) and retries the deliveries that failed (outbox.ts).
 */
import { toMs } from "../../../sdk/duration.ts";
import type { Env } from "../env.ts";
import { eventFigures } from "../events/figures.ts";
import { listRuns } from "../run-index/read.ts";
import { groupBy } from "../lib/group.ts";
import { retryDeliveries } from "./outbox.ts";
import { raise, runLink, rulesFor } from "./raise.ts";
import { resolveIncidents } from "./resolve.ts";

/** Most queued runs one slot_wait rule looks at per tick, among those made before its threshold. */
const QUEUED_LOOKED_AT = 200;

/** A cron tick (of a trigger, or a schedule) started its run at `now`, `now - tick` after it was due. */
export async function alertCronLate(
  env: Env,
  late: { functionId: string; tick: number; runId: string; scheduleId?: string },
  now = Date.now(),
): Promise<void> {
  const rules = await rulesFor(env, "cron_missed", late.functionId);
  await Promise.all(
    rules.map(async (rule) => {
      const lateBy = now - late.tick;
      if (lateBy <= toMs(rule.tolerance)) return false;
      const what = late.scheduleId ? `schedule ${late.scheduleId}` : "its cron trigger";
      const title = `${late.functionId}: a cron tick ran ${Math.round(lateBy / 60_000)} minute(s) late`;
      const text = `The tick of ${what} due at ${new Date(late.tick).toISOString()} started run ${late.runId} at ${new Date(now).toISOString()}: Stepwise was down or behind, and missed ticks run once.`;
      return raise(env, rule, late.functionId, { title, text, runId: late.runId, ...runLink(env, late.runId) }, now);
    }),
  );
}

/**
 * The checks of the Worker's cron tick: events not routed, runs waiting too long for a slot; then
 * incidents that ended, and deliveries to retry.
 */
export async function checkAlertsOnTick(env: Env, now = Date.now()): Promise<void> {
  // Per rule, the subjects whose condition holds on this tick: the others' incidents have ended.
  // A rule whose check failed is not in it, so none of its incidents ends on this tick.
  const firing = new Map<string, Set<string>>();
  // Each part on its own: one that fails (an EventShard, D1) leaves the others to run.
  const part = (what: string, work: () => Promise<unknown>) =>
    work().catch((error: unknown) => console.error(`stepwise: the alert tick's ${what} failed`, error));
  await part("checks", () => runChecks(env, firing, now));
  await part("resolutions", () => resolveIncidents(env, firing, now));
  await part("delivery retries", () => retryDeliveries(env, now));
}

async function runChecks(env: Env, firing: Map<string, Set<string>>, now: number): Promise<void> {
  const [unrouted, slots] = await Promise.all([rulesFor(env, "events_unrouted"), rulesFor(env, "slot_wait")]);
  if (unrouted.length > 0) {
    const { unrouted: waiting, abandoned } = await eventFigures(env);
    await Promise.all(
      unrouted.map(async (rule) => {
        const holds = abandoned > 0 || waiting > rule.threshold;
        firing.set(rule.id, new Set(holds ? ["*"] : []));
        if (!holds) return false;
        const title =
          abandoned > 0 ? `Routing was given up for ${abandoned} event(s)` : `${waiting} events wait to be routed`;
        const text = `${waiting} event(s) accepted and not routed yet (the rule's threshold is ${rule.threshold}); ${abandoned} given up on, waiting for a reroute on the dashboard's event page.`;
        return raise(env, rule, "*", { title, text }, now);
      }),
    );
  }
  await Promise.all(
    slots.map(async (rule) => {
      const since = now - toMs(rule.longerThan);
      // Only runs made before the threshold can have waited past it: newer ones, however many,
      // never crowd out the old ones this rule is about.
      const page = await listRuns(env, {
        status: "queued",
        functionId: rule.functionId,
        before: since,
        limit: QUEUED_LOOKED_AT,
      });
      const stuck = page.items.filter((run) => run.updatedAt <= since);
      const byFunction = groupBy(stuck, (run) => run.functionId);
      firing.set(rule.id, new Set(byFunction.keys()));
      for (const [functionId, runs] of byFunction) {
        const oldest = runs.reduce((a, b) => (a.updatedAt <= b.updatedAt ? a : b));
        const title = `${functionId}: ${runs.length} run(s) waited over ${String(rule.longerThan)} for a concurrency slot`;
        const text = `The longest, run ${oldest.id}, has been queued since ${new Date(oldest.updatedAt).toISOString()}.`;
        await raise(env, rule, functionId, { title, text, runId: oldest.id, ...runLink(env, oldest.id) }, now);
      }
    }),
  );
}
