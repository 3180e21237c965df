/**
 * A run whose function an operator paused or is draining (src/core/functions/controls.ts): it
 * holds at a step boundary, shows as `paused`, and goes on when the function is resumed. Pure:
 * the runner asks its port for the function's control and records what these helpers say.
 */
import { CRON_EVENT } from "../../sdk/system-events.ts";
import type { FunctionControl } from "../../src/core/db/function-controls.ts";
import type { HistoryEvent } from "./history.ts";
import type { RunState } from "./state.ts";

/** A held run checks its function again after this long at first, should the resume's call-back be lost. */
const HOLD_RECHECK_MS = 30_000;
/** The longest a held run goes between checks (the resume's release pass calls it back sooner). */
const HOLD_RECHECK_MAX_MS = 10 * 60_000;

/**
 * What the run does under `control`: go on; hold (paused: any run; draining: a run that has not
 * started); or, for a cron tick's run that has not started, be skipped, since a paused schedule
 * resumed after a day should not run a day of ticks at once (as Inngest and Temporal do).
 */
export function holdDecision(state: RunState, control: FunctionControl | undefined): "go" | "hold" | "skip" {
  if (state.terminal || !control) return "go";
  if (state.started) return control.mode === "paused" ? "hold" : "go";
  return state.events[0]?.name === CRON_EVENT ? "skip" : "hold";
}

/** Why a run holds, as its history and the dashboard say it. */
const reasonOf = (control: FunctionControl): string =>
  (control.mode === "paused" ? "its function is paused" : "its function is draining: new runs wait") +
  (control.reason ? ` (${control.reason})` : "");

/** The history events for `decision`: a hold or a release recorded once, a skip with why. */
export function holdEvents(
  state: RunState,
  control: FunctionControl | undefined,
  decision: "go" | "hold" | "skip",
): HistoryEvent[] {
  if (decision === "skip" && control)
    return [{ type: "run.skipped", reason: `${reasonOf(control)}; a cron tick's run is not kept for later` }];
  if (decision === "hold" && control && state.heldReason !== reasonOf(control))
    return [{ type: "run.held", mode: control.mode, reason: reasonOf(control) }];
  if (decision === "go" && state.heldReason) return [{ type: "run.released" }];
  return [];
}

/** When a run held since `heldAt` checks again: as long again as it has held, within bounds. */
export function holdRecheckAt(now: number, heldAt: number | undefined): number {
  return now + Math.min(HOLD_RECHECK_MAX_MS, Math.max(HOLD_RECHECK_MS, now - (heldAt ?? now)));
}

/**
 * Whether the function is paused, answered at once (a live call's `proceed` is synchronous): the
 * last answer, asked again in the background at most once a second.
 */
export function pauseWatch(ask: () => Promise<FunctionControl | undefined>, now: () => number): () => boolean {
  let paused = false;
  let askedAt = now();
  let asking = false;
  return () => {
    if (!asking && now() - askedAt >= 1_000) {
      asking = true;
      void ask()
        .then((control) => void (paused = control?.mode === "paused"))
        .catch(() => undefined)
        .finally(() => {
          asking = false;
          askedAt = now();
        });
    }
    return paused;
  };
}
