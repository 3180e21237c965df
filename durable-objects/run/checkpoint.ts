/**
 * What an Inngest app's checkpoint (`POST /v1/checkpoint/:runId/async`) asks of a run, and when
 * the run refuses it. A checkpoint is trusted only as part of a call the run has open: the call's
 * id is the credential, so a stale call (given up after its timeout, cut off by a restart) or a
 * forged checkpoint cannot write into the run's history.
 */
import { z } from "zod";
import { reachedStepSchema, type ReachedStep } from "../../sdk/protocol.ts";
import type { RunState } from "./state.ts";

export const checkpointInputSchema = z.object({
  /** The `qi_id` the call carried. */
  callId: z.string().min(1).max(200),
  /** The `fn_id` the call carried: this run's function. */
  functionId: z.string().min(1).max(200),
  steps: z.array(reachedStepSchema).min(1).max(1_000),
});
export type CheckpointInput = z.infer<typeof checkpointInputSchema>;

/** Why `state`'s run refuses the checkpoint, or undefined when it takes it. */
export function checkpointRefusal(
  state: RunState,
  callOpen: boolean,
  functionId: string,
  steps: ReachedStep[],
): string | undefined {
  if (state.terminal) return `the run has ended (${state.terminal})`;
  if (!callOpen) return "the call it belongs to is no longer under way";
  if (functionId !== state.functionId) return `the call is of function "${state.functionId}", not "${functionId}"`;
  // A step already recorded is taken again only as the same result (the SDK resending a
  // checkpoint whose answer it lost); a step that is sleeping, waiting or invoking never is.
  const clash = steps.find((step) => {
    const known = state.steps.get(step.id);
    return known !== undefined && known.status !== "completed";
  });
  if (clash) return `step "${clash.name}" is not a step this call may report`;
  return undefined;
}
