/**
 * `env.STEPWISE`: what a Worker bound to Stepwise (a service binding to its `StepwiseRpc`
 * entrypoint) can call, typed without importing Stepwise's internals.
 *
 * Each method answers `{ ok: true, value }` or `{ ok: false, refusal }` instead of throwing: an
 * error thrown across Workers RPC loses its kind (only the message survives) and is logged as
 * uncaught on Stepwise's side, though a refused event is the caller's business, not an incident.
 * The `Stepwise` client unwraps answers into values and typed errors; use it rather than the raw
 * binding: `new Stepwise({ id, binding: env.STEPWISE })`.
 */
import { replayResultSchema, type ReplayOptions, type ReplayResult } from "./replay.ts";
import {
  schedulePageSchema,
  scheduleViewSchema,
  type ScheduleFilter,
  type ScheduleInput,
  type SchedulePage,
  type SchedulePatch,
  type ScheduleView,
} from "./schedules.ts";
import {
  pausedSchema,
  resumedSchema,
  type PauseOptions,
  type PauseResult,
  type ResumeResult,
} from "./function-control.ts";
import type { DelayOptions } from "./delay.ts";
import { z } from "zod";
import { registeredAppSchema, type AppTarget, type RegisteredApp } from "./app-protocol.ts";
import { RUN_STATUSES, type RunStatus } from "./run-status.ts";
import { runPageSchema, runViewSchema, type RunPage, type RunView } from "./runs.ts";
import type { SendableEvent } from "./sendable.ts";
import { realtimeTokenSchema, type RealtimeScope, type RealtimeToken } from "./realtime/messages.ts";
import type { OutgoingMessage } from "./realtime/publisher.ts";

/** Why Stepwise refused a call: the code and status the HTTP API answers with, and a message. */
const refusalSchema = z.object({
  code: z.string().regex(/^[a-z_]+$/),
  status: z.number().int().min(400).max(599),
  message: z.string(),
});
export type Refusal = z.infer<typeof refusalSchema>;

/** What every method of {@link StepwiseBinding} resolves with. */
export type RpcAnswer<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

/** The schema of an {@link RpcAnswer} carrying `value`: the SDK checks what crosses the binding. */
export function answerSchema<S extends z.ZodType>(value: S) {
  return z.discriminatedUnion("ok", [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), refusal: refusalSchema }),
  ]);
}

/**
 * Options of an invoke: the run's tags (up to 10; its child runs keep them), and when it starts
 * (`delay` or `runAt`, at most a year ahead: it waits as `scheduled` until then).
 */
export interface InvokeCallOptions extends DelayOptions {
  tags?: string[];
}

/** Filters of {@link StepwiseBinding.listRuns}. */
export interface ListRunsFilter {
  functionId?: string;
  status?: RunStatus;
  eventId?: string;
  /** Runs created at or after this time (epoch milliseconds). */
  after?: number;
  /** Runs with this tag. */
  tag?: string;
  /** Runs whose metadata has this key. */
  metadataKey?: string;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** 1 to 200; 50 when absent. */
  limit?: number;
}

/** What a cancel answers: whether this call cancelled the run, and the status it has now. */
const cancelResultSchema = z.object({ cancelled: z.boolean(), status: z.enum(RUN_STATUSES) });
export type CancelResult = z.infer<typeof cancelResultSchema>;

/** A scheduled run's new start time. */
const rescheduleResultSchema = z.object({ runId: z.string(), startAt: z.string() });
export type RescheduleResult = z.infer<typeof rescheduleResultSchema>;

/** A wait token completion that was taken, and whether a step waiting for it resumed. */
const tokenCompletedSchema = z.object({ tokenId: z.string(), runId: z.string(), resumed: z.boolean() });
export type TokenCompleted = z.infer<typeof tokenCompletedSchema>;

/** The schemas of the values each method answers with. */
export const bindingValueSchemas = {
  send: z.object({ ids: z.array(z.string()) }),
  invoke: z.object({ runId: z.string() }),
  getRun: runViewSchema.nullable(),
  listRuns: runPageSchema,
  syncApp: registeredAppSchema,
  cancel: cancelResultSchema.nullable(),
  reschedule: rescheduleResultSchema.nullable(),
  pauseFunction: pausedSchema,
  replay: replayResultSchema,
  createSchedule: z.object({ schedule: scheduleViewSchema, created: z.boolean() }),
  getSchedule: scheduleViewSchema.nullable(),
  listSchedules: schedulePageSchema,
  updateSchedule: scheduleViewSchema,
  deleteSchedule: z.object({ id: z.string(), deleted: z.boolean() }),
  resumeFunction: resumedSchema,
  completeToken: tokenCompletedSchema,
  realtimeToken: realtimeTokenSchema,
  publish: z.object({ seqs: z.array(z.number().int()) }),
};

/**
 * The RPC entrypoint of a Stepwise Worker, as a binding of yours sees it:
 *
 * ```toml
 * [[services]]
 * binding = "STEPWISE"
 * service = "stepwise"
 * entrypoint = "StepwiseRpc"
 * ```
 *
 * Every argument is validated as the HTTP API validates it.
 */
export interface StepwiseBinding {
  /** Sends one event or up to 5,000; answers their ids once they are safely accepted. */
  send(events: SendableEvent | SendableEvent[]): Promise<RpcAnswer<{ ids: string[] }>>;
  /** Starts a run of `functionId` with `data` as its event data (`tags`, up to 10; `delay` or `runAt`). */
  invoke(
    functionId: string,
    data?: Record<string, unknown>,
    options?: InvokeCallOptions,
  ): Promise<RpcAnswer<{ runId: string }>>;
  /** A run's status, steps and result; null when there is no such run. */
  getRun(runId: string): Promise<RpcAnswer<RunView | null>>;
  /** A page of the run index, newest first. */
  listRuns(filter?: ListRunsFilter): Promise<RpcAnswer<RunPage>>;
  /** Registers the app reachable at `target` (what `serve()` calls on PUT). */
  syncApp(target: AppTarget): Promise<RpcAnswer<RegisteredApp>>;
  /** Cancels a run; null when there is no such run. */
  cancel(runId: string, reason?: string): Promise<RpcAnswer<CancelResult | null>>;
  /**
   * Moves a scheduled run's start (`delay` or `runAt`; neither: now). Refused (409 `run_started`)
   * once it has started; null when there is no such run.
   */
  reschedule(runId: string, options?: DelayOptions): Promise<RpcAnswer<RescheduleResult | null>>;
  /**
   * Replays an ended run: from its first failed step, from the start, from a step (`fromStep`),
   * or with new event data (`data`). Refused (409 `not_replayable`) for a run still going, a
   * skipped one, or a completed one asked for neither `fromStep` nor `data`; 404 for no such run.
   */
  replay(runId: string, options?: ReplayOptions): Promise<RpcAnswer<ReplayResult>>;
  /**
   * Pauses a function (new runs held, running runs held at their next step), or with `drain`
   * holds only new runs; `reason` is shown on held runs. Refused (404) for an unknown function.
   */
  pauseFunction(functionId: string, options?: PauseOptions): Promise<RpcAnswer<PauseResult>>;
  /** Resumes a paused or draining function; its held runs are released in the background. */
  resumeFunction(functionId: string): Promise<RpcAnswer<ResumeResult>>;
  /** Creates a schedule (with a `key` already used: updates that one, `created: false`). */
  createSchedule(input: ScheduleInput): Promise<RpcAnswer<{ schedule: ScheduleView; created: boolean }>>;
  /** One schedule with its next and last ticks; null when there is no such schedule. */
  getSchedule(id: string): Promise<RpcAnswer<ScheduleView | null>>;
  /** A page of schedules by id, of a function and/or tenant. */
  listSchedules(filter?: ScheduleFilter): Promise<RpcAnswer<SchedulePage>>;
  /** Changes a schedule's timing, data or paused state; refused (404) for an unknown one. */
  updateSchedule(id: string, patch: SchedulePatch): Promise<RpcAnswer<ScheduleView>>;
  /** Deletes a schedule; `deleted: false` when there was none. */
  deleteSchedule(id: string): Promise<RpcAnswer<{ id: string; deleted: boolean }>>;
  /**
   * Completes a wait token with `data` (any JSON value), once. A trusted door: a token's secret
   * is not asked for. Refused when the token is unknown (404), completed (409) or expired (410).
   */
  completeToken(tokenId: string, data?: unknown): Promise<RpcAnswer<TokenCompleted>>;
  /** Mints a subscription token for a browser: one run or one stream, once, for `ttlSeconds` (60; at most 3,600). */
  realtimeToken(scope: RealtimeScope, ttlSeconds?: number): Promise<RpcAnswer<RealtimeToken>>;
  /** Publishes messages to a realtime stream; a message with an id already there is not added again. */
  publish(stream: string, messages: OutgoingMessage[]): Promise<RpcAnswer<{ seqs: number[] }>>;
  /**
   * Subscribes to a run or a stream from a Worker: newline-delimited JSON messages (see
   * `RealtimeMessage`), until the stream is cancelled. `after` skips a stream's messages up to that `seq`.
   */
  subscribe(scope: RealtimeScope, after?: number): Promise<RpcAnswer<ReadableStream<Uint8Array>>>;
}
