/**
 * Replaying a run, as callers ask for it: from its first failed step (the default), from the
 * start, from any step (`fromStep`: the steps reached before it are kept, it and everything after
 * run again), and with edited event data (`data`: the steps run again from the start, or from
 * `fromStep`). A failed or cancelled run can be replayed; a completed one only from a step or with
 * new data.
 */
import { z } from "zod";

export const replayOptionsSchema = z
  .object({
    fromStart: z.boolean().default(false),
    /** The id of the step to run again from (as the run's view names it). */
    fromStep: z.string().min(1).max(1_000).optional(),
    /** New data for the run's event (the first, for a batch). */
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((options) => !(options.fromStart && options.fromStep !== undefined), {
    error: "give `fromStart` or `fromStep`, not both",
    path: ["fromStep"],
  });
export type ReplayOptions = z.input<typeof replayOptionsSchema>;

/** A replay started: the new run, and the run it replays. */
export const replayResultSchema = z.object({ runId: z.string(), replayOf: z.string() });
export type ReplayResult = z.infer<typeof replayResultSchema>;
