/**
 * Replaying a failed or cancelled run: a new run with the same function and event, linked to the
 * old one, that starts with the old run's results up to its first failed step.
 */
import { z } from "zod";
import { runEventSchema } from "../../../sdk/protocol.ts";
import type { Env } from "../env.ts";
import { newId } from "../lib/ids.ts";
import { seededStepSchema, startRun } from "./start.ts";
import { runObject } from "../objects.ts";

/** The new run, or why there is none. */
export type ReplayResult = { ok: true; runId: string } | { ok: false; notFound: boolean; message: string };

/** Starts the replay of `runId`; `fromStart` re-runs every step. */
export async function replayRun(env: Env, runId: string, fromStart: boolean): Promise<ReplayResult> {
  const plan = await runObject(env, runId).replayPlan(fromStart);
  if (!plan) return { ok: false, notFound: true, message: `No run "${runId}"` };
  if (plan.refused !== null) return { ok: false, notFound: false, message: plan.refused };
  const replayId = newId();
  await startRun(env, {
    runId: replayId,
    functionId: plan.functionId,
    events: z.array(runEventSchema).parse(plan.events),
    replay: { of: runId, steps: z.array(seededStepSchema).parse(plan.steps) },
    ...(plan.tags?.length ? { tags: plan.tags } : {}),
  });
  return { ok: true, runId: replayId };
}
