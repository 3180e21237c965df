/**
 * An ended run's announcement: for a function of an Inngest app, the lifecycle events Inngest's
 * executor emits (src/core/inngest/lifecycle.ts), through the one intake, so its `onFailure`
 * handlers and anything triggered on `inngest/function.*` run. Stepwise's own functions announce
 * nothing: their onFailure runs start directly, with no event to record and route per run.
 */
import { acceptEvents } from "../../src/core/events/accept.ts";
import { maxEventBytes } from "../../src/core/events/limits.ts";
import type { Env } from "../../src/core/env.ts";
import { isInngestFunction, type CatalogFunction } from "../../src/core/functions/catalog.ts";
import { lifecycleEvents } from "../../src/core/inngest/lifecycle.ts";
import type { RunState } from "./state.ts";

/** Whether runs of `fn` announce their end. */
export const announcesEnd = isInngestFunction;

/** Records the events announcing the end of `state`'s run; false when it has none to announce. */
export async function announceEnd(env: Env, state: RunState, fn: CatalogFunction | undefined): Promise<boolean> {
  if (!state.terminal || !announcesEnd(fn)) return false;
  const events = lifecycleEvents(
    {
      functionId: state.functionId,
      runId: state.runId,
      status: state.terminal,
      events: state.events,
      output: state.output,
      error: state.error,
    },
    state.endedAt ?? Date.now(),
    maxEventBytes(env),
  );
  if (events.length === 0) return false;
  await acceptEvents(env, events);
  return true;
}
