/**
 * What a run cancelled between drives does at once: a drive under way does the same as it ends.
 */
import type { Env } from "../../src/core/env.ts";
import { getFunction } from "../../src/core/functions/catalog.ts";
import { announcesEnd } from "./announce.ts";
import { cancelOpenChildren } from "./children.ts";
import { forgetWaits, keyedFromStart } from "./event-steps.ts";
import { slotPorts } from "./slot-ports.ts";
import type { RunState } from "./state.ts";

/**
 * Settles a run just cancelled while no drive runs: what it may still owe (telling a waiting
 * parent, announcing its end) the alarm's drive does, and retries; the alarm is armed first, so
 * no failure below can lose it, and dropped again when the run owes nothing. Its open children
 * are cancelled, its waits forgotten, and a run cancelled while queued leaves the line.
 */
export async function settleCancelled(env: Env, storage: DurableObjectStorage, state: () => RunState): Promise<void> {
  const run = state();
  await storage.setAlarm(Date.now());
  const fn = await getFunction(env, run.functionId);
  if (!(run.parentRunId && run.parentStepId) && !announcesEnd(fn)) await storage.deleteAlarm();
  await cancelOpenChildren(env, state());
  await forgetWaits(env, state(), keyedFromStart(storage));
  await slotPorts(env, run, fn?.config).releaseSlots();
}
