/**
 * After a restart: when a run should next be driven, from its state alone. A drive the restart
 * cut off leaves only the watchdog alarm (a minute out) behind it, and a sleep recorded just
 * before the kill may not have armed its wake-up; the object compares this with its alarm and
 * moves the alarm earlier when it is late or missing.
 */
import type { RunState } from "./state.ts";
import { dueSteps, hasPendingSteps, nextWake } from "./timers.ts";

/**
 * The moment the run has something to do (now, when it was cut off mid-drive), or undefined when
 * it has ended. A run waiting for a concurrency slot asks again now: the limiter's call-back may
 * have been in flight when the server died, and its own re-check is a minute out.
 */
export function resumeAt(state: RunState, now: number): number | undefined {
  if (state.terminal) return undefined;
  if (!state.started) return state.notBefore !== undefined && state.notBefore > now ? state.notBefore : now;
  if (state.queuedReason) return now;
  // Steps to execute, or a body to call again (no step pending): a drive was under way.
  if (dueSteps(state, now).length > 0 || !hasPendingSteps(state)) return now;
  const timer = nextWake(state, now);
  return timer === undefined ? undefined : Math.max(timer, now);
}
