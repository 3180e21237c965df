/**
 * What an isolate does when it first serves (a request, a queue batch or a cron tick): hand every
 * cron trigger of a registered function to its CronScheduler (which keeps it or re-plans it),
 * bring the D1 function catalogue in line with the registry (one row read when another isolate of
 * the same deployment already did), and ask the EventSweeper for its
 * start-up pass, so that after a restart events accepted before it are routed and runs cut off
 * mid-drive go on within seconds, not a grace period or a watchdog later. A failure is logged and
 * retried by a later request.
 *
 * Only plain values are kept between requests, never a promise: a promise belongs to the request
 * that made it (workerd ties I/O to it), and one cut short would leave every later request
 * waiting on it for the life of the isolate.
 */
import { cronTargets, ensureOne } from "./core/functions/cron-targets.ts";
import { eventSweeper } from "./core/objects.ts";
import { syncFunctions } from "./core/db/functions.ts";
import type { Env } from "./core/env.ts";
import { registry } from "./core/functions/registry.ts";

/** A request does the start-up work unless another began it this recently (and may still be at it). */
const RETRY_AFTER_MS = 10_000;

/** When this isolate first served. */
let firstServedAt: number | undefined;
/** When a request last began the start-up work, and whether some request finished it. */
let attemptedAt = 0;
let done = false;

/** Does the start-up work once per isolate, in the request that gets to it; others go on at once. */
export async function startIsolate(env: Env): Promise<void> {
  const now = Date.now();
  firstServedAt ??= now;
  if (done || now - attemptedAt < RETRY_AFTER_MS) return;
  attemptedAt = now;
  try {
    await Promise.all([
      ...cronTargets(registry.list()).map((target) => ensureOne(env, target)),
      syncFunctions(env.DB, registry.list(), now),
      eventSweeper(env).recover(firstServedAt, env.CF_VERSION_METADATA?.id),
    ]);
    done = true;
  } catch (error) {
    attemptedAt = 0;
    console.error(
      "stepwise: cron schedules, the function catalogue or the start-up sweep were not updated; the next request tries again",
      error,
    );
  }
}
