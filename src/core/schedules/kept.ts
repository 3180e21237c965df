/**
 * A schedule made at run time as its CronScheduler keeps it: what crosses to the object (zod at
 * the RPC boundary) and what it answers with.
 */
import { z } from "zod";

/** A schedule as its object keeps it. */
export const keptScheduleSchema = z.object({
  id: z.string(),
  functionId: z.string(),
  cron: z.string().optional(),
  timezone: z.string().optional(),
  interval: z.number().int().optional(),
  anchor: z.number().int(),
  data: z.record(z.string(), z.unknown()),
  tenant: z.string().optional(),
  paused: z.boolean(),
  /** The tick the alarm waits for; null while paused or when it never fires again. */
  nextTick: z.number().int().nullable(),
  lastTick: z.number().int().optional(),
  lastRunId: z.string().optional(),
  /**
   * The D1 row's `updatedAt` this copy was made from: an object keeps a copy only over an older
   * one, so a late or repeated telling never undoes a newer change (absent from older copies).
   */
  version: z.number().int().optional(),
});
export type KeptSchedule = z.infer<typeof keptScheduleSchema>;
/** What the object is told to keep: the schedule without its ticks. */
export type ScheduleToKeep = Omit<KeptSchedule, "nextTick" | "lastTick" | "lastRunId">;
