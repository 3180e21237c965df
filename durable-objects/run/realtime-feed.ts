/**
 * What a run's realtime subscribers hear: the run as it is when they join, then, as entries are
 * recorded, each step they touched (as the run's view shows it), a changed status (with the output
 * or error once ended) and changed metadata. The RunObject sends what `runMessages` answers.
 */
import type { RunMessage } from "../../sdk/realtime/messages.ts";
import type { StepView } from "../../sdk/runs.ts";
import type { Metadata } from "../../sdk/metadata.ts";
import type { HistoryEntry } from "./history.ts";
import { runStatus, type RunState, type RunStatus } from "./state.ts";
import { runView, stepView } from "./view.ts";
import { acceptSubscriber } from "../realtime/subscribers.ts";

/**
 * A step as a subscriber sees it: without a wait token's id or URL, nor its logs. A subscription
 * token is handed to a browser (often the run's own user), and a wait token's URL completes the
 * wait: an approver's link must not reach the person whose request it approves; logs are for
 * the team that operates the function, not its users.
 */
function withoutCapability(step: StepView): StepView {
  const { tokenId: _tokenId, logs: _logs, ...rest } = step;
  return rest.op === "token" ? { ...rest, output: null } : rest;
}

/** What a change is measured against: the status and metadata before the entries. */
export interface RunBefore {
  status: RunStatus | undefined;
  metadata: Metadata | undefined;
}

export const runBefore = (state: RunState | undefined): RunBefore => ({
  status: state ? runStatus(state) : undefined,
  metadata: state?.metadata,
});

/** Accepts a subscriber of the run (its token checked by the Worker): it gets the run as it is first. */
export function subscribeToRun(
  ctx: DurableObjectState,
  request: Request,
  state: RunState | undefined,
  publicUrl: string | undefined,
): Response {
  if (!state) return Response.json({ error: { code: "run_not_found", message: "No such run" } }, { status: 404 });
  const { tokens: _tokens, ...run } = runView(state, Date.now(), publicUrl);
  const snapshot: RunMessage = { type: "snapshot", run: { ...run, steps: run.steps.map(withoutCapability) } };
  return acceptSubscriber(ctx, request, () => [snapshot]);
}

/** The messages `entries` make, given the run before them and the state after. */
export function runMessages(before: RunBefore, state: RunState, entries: HistoryEntry[]): RunMessage[] {
  const messages: RunMessage[] = [];
  const touched = new Set<string>();
  for (const entry of entries) if ("stepId" in entry && typeof entry.stepId === "string") touched.add(entry.stepId);
  for (const id of touched) {
    const step = state.steps.get(id);
    if (step) messages.push({ type: "step", step: withoutCapability(stepView(step)) });
  }
  if (state.metadata !== before.metadata) messages.push({ type: "metadata", metadata: state.metadata });
  const status = runStatus(state);
  if (status !== before.status)
    messages.push({
      type: "status",
      status,
      // A result kept in R2 is too large for a message: its size says so, the run's view links it.
      ...(state.terminal === "completed"
        ? state.outputClaim
          ? { outputBytes: state.outputClaim.bytes }
          : { output: state.output }
        : {}),
      ...(state.error && state.terminal ? { error: { name: state.error.name, message: state.error.message } } : {}),
    });
  return messages;
}
