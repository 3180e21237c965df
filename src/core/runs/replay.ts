/**
 * Replaying an ended run: a new run with the same function and event (its data edited, if asked),
 * linked to the old one, that starts with the old run's results up to its first failed step, up
 * to a step chosen, or none (see durable-objects/run/replay.ts).
 */
import { z } from "zod";
import { runEventSchema } from "../../../sdk/protocol.ts";
import type { replayOptionsSchema } from "../../../sdk/replay.ts";
import type { Env } from "../env.ts";
import { maxEventBytes, oversizedData } from "../events/limits.ts";
import { shallowEnough } from "../lib/json-shape.ts";
import { newId } from "../lib/ids.ts";
import { seededStepSchema, startRun } from "./start.ts";
import { runObject } from "../objects.ts";

/** The new run, or why there is none (`invalid`: the new data is refused). */
export type ReplayResult =
  { ok: true; runId: string } | { ok: false; notFound: boolean; invalid?: boolean; message: string };

type Options = Pick<z.output<typeof replayOptionsSchema>, "fromStart" | "fromStep" | "data">;

const withoutClaim = <T extends { claim?: unknown }>({ claim: _claim, ...event }: T): Omit<T, "claim"> => event;

/** Starts the replay of `runId` as `options` ask (`fromStart`, `fromStep`, new `data`). */
export async function replayRun(env: Env, runId: string, options: Options): Promise<ReplayResult> {
  const { fromStart, fromStep, data } = options;
  if (data !== undefined) {
    const problem = !shallowEnough.check(data)
      ? `The data ${shallowEnough.error}`
      : oversizedData(data, maxEventBytes(env));
    if (problem) return { ok: false, notFound: false, invalid: true, message: problem };
  }
  const plan = await runObject(env, runId).replayPlan({
    fromStart,
    ...(fromStep !== undefined ? { fromStep } : {}),
    edited: data !== undefined,
  });
  if (!plan) return { ok: false, notFound: true, message: `No run "${runId}"` };
  if (plan.refused !== null) return { ok: false, notFound: false, message: plan.refused };
  const [first, ...rest] = z.array(runEventSchema).parse(plan.events);
  // Edited data replaces the first event's, kept in R2 or not: the replay carries it inline.
  const edited = first && data !== undefined ? [{ ...withoutClaim(first), data }, ...rest] : undefined;
  const events = edited ?? plan.events;
  const replayId = newId();
  await startRun(env, {
    runId: replayId,
    functionId: plan.functionId,
    events: z.array(runEventSchema).parse(events),
    replay: { of: runId, steps: z.array(seededStepSchema).parse(plan.steps) },
    ...(plan.tags?.length ? { tags: plan.tags } : {}),
  });
  return { ok: true, runId: replayId };
}
