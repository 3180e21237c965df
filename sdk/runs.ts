/**
 * A run as Stepwise shows it to callers, over HTTP and over the binding alike: the detail of one
 * run (its steps, output or error) and the summary a listing gives. Times are ISO 8601 strings
 * everywhere, so a caller never has to know which door it came through.
 */
import { z } from "zod";
import { LOG_LEVELS } from "./step-logs.ts";
import { runEventSchema, serializedErrorSchema, stepOpSchema } from "./protocol.ts";
import { RUN_STATUSES } from "./run-status.ts";

const isoTime = z.string().optional();

/** One step of a run: what it did, how many attempts it took, its output or its last error. */
const stepViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  op: stepOpSchema,
  status: z.string(),
  attempts: z.number().int(),
  startedAt: isoTime,
  endedAt: isoTime,
  durationMs: z.number().optional(),
  output: z.unknown().optional(),
  error: serializedErrorSchema.optional(),
  sleepUntil: isoTime,
  retryAt: isoTime,
  /** A result kept in R2 (past 1 MiB): its size, and a signed link to it (an hour; `output` is absent). */
  outputBytes: z.number().int().optional(),
  outputUrl: z.string().optional(),
  /** A `waitForToken` step's token (see the run's `tokens`). */
  tokenId: z.string().optional(),
  /**
   * A `waitForEvent(s)` step: each event it waits for (with its condition, and whether it has
   * arrived), whether any or all of them end the wait, and when it times out.
   */
  wait: z
    .object({
      events: z.array(z.object({ event: z.string(), if: z.string().optional(), arrived: z.boolean() })),
      mode: z.enum(["any", "all"]),
      until: z.string(),
    })
    .optional(),
  /** An invoke step's child runs (of its current attempt). */
  childRunIds: z.array(z.string()).optional(),
  /** What its attempts logged (its last 300 lines; each attempt keeps at most 100). */
  logs: z
    .array(z.object({ level: z.enum(LOG_LEVELS), at: z.string(), attempt: z.number().int(), message: z.string() }))
    .optional(),
});
export type StepView = z.infer<typeof stepViewSchema>;

/**
 * A wait token of a run: `POST` to `url` completes it (signed, when `signed`, with its secret).
 * `expired` also covers a token whose run has ended.
 */
const tokenViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  stepId: z.string(),
  status: z.enum(["open", "completed", "expired"]),
  expiresAt: z.string(),
  completedAt: isoTime,
  signed: z.boolean(),
});
export type TokenView = z.infer<typeof tokenViewSchema>;

/** A run with its steps, in the order the function reached them (`GET /v1/runs/:id`, `getRun`). */
export const runViewSchema = z.object({
  id: z.string(),
  functionId: z.string(),
  status: z.enum(RUN_STATUSES),
  /** Why a queued run waits (a concurrency slot, a throttle). */
  queuedReason: z.string().optional(),
  /** Why the run holds (its function is paused, or draining before the run started), and since when. */
  heldReason: z.string().optional(),
  heldSince: isoTime.optional(),
  /** The version of the code the run started on: the Worker's version id, or `<app>@<its last sync>` for a remote app's function. */
  version: z.string().optional(),
  attempt: z.number().int(),
  event: runEventSchema.optional(),
  events: z.array(runEventSchema),
  /** Signed links (an hour) to the data of each event kept in R2 (`claim` set, `data` empty), by position. */
  eventDataUrls: z.array(z.string().nullable()).optional(),
  output: z.unknown().optional(),
  /** A result kept in R2 (past 1 MiB): its size, and a signed link to it (an hour; `output` is absent). */
  outputBytes: z.number().int().optional(),
  outputUrl: z.string().optional(),
  error: serializedErrorSchema.optional(),
  parentRunId: z.string().optional(),
  replayOf: z.string().optional(),
  failureRunId: z.string().optional(),
  createdAt: isoTime,
  /** A delayed run: when it starts (`scheduled` until then). */
  startAt: isoTime,
  updatedAt: isoTime,
  endedAt: isoTime,
  nextWakeAt: isoTime,
  steps: z.array(stepViewSchema),
  /** The run's tags, its parent's included (absent when it has none). */
  tags: z.array(z.string()).optional(),
  /** What the run's steps wrote to its metadata (absent while empty). */
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** The run's wait tokens, oldest first (absent when it has none). */
  tokens: z.array(tokenViewSchema).optional(),
});
export type RunView = z.infer<typeof runViewSchema>;

/** A run in a listing (`GET /v1/runs`, `listRuns`): no steps, times as ISO strings. */
const runSummarySchema = z.object({
  id: z.string(),
  functionId: z.string(),
  status: z.string(),
  eventId: z.string(),
  eventName: z.string(),
  attempt: z.number().int(),
  parentRunId: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
  updatedAt: z.string(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

/** A page of runs, newest first; pass `nextCursor` back as `cursor` for the next page. */
export const runPageSchema = z.object({ runs: z.array(runSummarySchema), nextCursor: z.string().optional() });
export type RunPage = z.infer<typeof runPageSchema>;
