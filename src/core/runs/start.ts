/**
 * Starting a run: the one way. Every start (a routed event, a direct invocation, a cron tick, a
 * child of `step.invoke`, a debounce or batch flush, an onFailure handler, a replay) names its run
 * and first events and calls {@link startRun}. A start is idempotent by run id: starting an id
 * that exists returns it unchanged (`created: false`), which is what makes derived ids safe to
 * start again after a crash.
 */
import { z } from "zod";
import { runEventSchema, stepOpSchema } from "../../../sdk/protocol.ts";
import type { Env } from "../env.ts";
import { metadataOpSchema } from "../../../sdk/metadata.ts";
import { mergeTags, tagsSchema } from "../../../sdk/tags.ts";
import { ownEventData } from "../payloads/event-data.ts";
import { runObject } from "../objects.ts";

/** A step a replay starts with, as completed by the run it replays. */
export const seededStepSchema = z.object({
  stepId: z.string(),
  name: z.string(),
  op: stepOpSchema,
  output: z.unknown(),
  /** Its changes to the run's metadata, so the replay's metadata starts where the original's was. */
  metadata: z.array(metadataOpSchema).optional(),
});
export type SeededStep = z.infer<typeof seededStepSchema>;

/** What a run starts with; the RunObject checks it on arrival. */
export const startRunSchema = z.object({
  runId: z.string().min(1).max(200),
  functionId: z.string().min(1),
  events: z.array(runEventSchema).min(1),
  /** A child run (`step.invoke`) or an onFailure run: the run it reports to. */
  parentRunId: z.string().optional(),
  /** A child run: the parent's step waiting for it. */
  parentStepId: z.string().optional(),
  /** A replay: the run replayed, and the steps kept from it. */
  replay: z.object({ of: z.string(), steps: z.array(seededStepSchema) }).optional(),
  /** Its tags (a child's include its parent's). */
  tags: tagsSchema.optional(),
  /** A delayed run: it starts no earlier than this (epoch ms). */
  startAt: z.number().int().optional(),
});
export type StartRun = z.infer<typeof startRunSchema>;

/**
 * Starts run `input.runId` (or finds it, if it exists). Without tags of its own, a run takes its
 * events' (a batch's, each once, the first events' first). Event data past the event limit goes
 * to R2 first (payloads/event-data.ts).
 */
export async function startRun(env: Env, input: StartRun): Promise<{ runId: string; created: boolean }> {
  const tags = input.tags ?? input.events.reduce<string[]>((all, event) => mergeTags(all, event.tags), []);
  const events = await Promise.all(input.events.map((event, index) => ownEventData(env, input.runId, event, index)));
  return runObject(env, input.runId).start({ ...input, events, ...(tags.length > 0 ? { tags } : {}) });
}
