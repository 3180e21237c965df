/**
 * The run's history: an append-only log of everything that happened to the run and its steps.
 * It is the source of truth; the run's state is a fold over it (see state.ts).
 */
import { CONTROL_MODES } from "../../sdk/function-control.ts";
import { z } from "zod";
import { stepLogsSchema } from "../../sdk/step-logs.ts";
import {
  childOutcomeSchema,
  claimSchema,
  invokeSpecSchema,
  runEventSchema,
  serializedErrorSchema,
  stepOpSchema,
  waitSpecSchema,
} from "../../sdk/protocol.ts";
import { metadataOpSchema } from "../../sdk/metadata.ts";

const step = { stepId: z.string(), name: z.string() };

export const historyEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("run.created"),
    runId: z.string(),
    functionId: z.string(),
    events: z.array(runEventSchema).min(1),
    parentRunId: z.string().optional(),
    /** A child run: the parent's step that awaits it. */
    parentStepId: z.string().optional(),
    /** A replay: the run it replays. */
    replayOf: z.string().optional(),
    /** Its tags, its parent's included. */
    tags: z.array(z.string()).optional(),
    /** A delayed run: it starts no earlier than this (epoch ms). */
    startAt: z.number().optional(),
  }),
  /** A delayed run not started yet was given another start time. */
  z.object({ type: z.literal("run.rescheduled"), startAt: z.number() }),
  z.object({
    type: z.literal("run.started"),
    /** The function's `timeouts.finish`, as a moment: the run fails if it has not finished by then. */
    finishBy: z.number().optional(),
    /** Past `finishBy` the run is cancelled, not failed (an Inngest function). */
    finishCancels: z.literal(true).optional(),
    /** The function's `cancelOn`, as waits for cancelling events. */
    cancelOn: z.array(waitSpecSchema).optional(),
    /** The version of the code it started on (the Worker's version id, or the remote app's deployment). */
    version: z.string().max(300).optional(),
  }),
  /** The cancelling events are in their WaitIndexes. */
  z.object({ type: z.literal("run.cancel-registered") }),
  z.object({
    type: z.literal("step.scheduled"),
    ...step,
    op: stepOpSchema,
    /** For a send step: the events to send, kept so a retry needs nothing from the SDK. */
    events: z.array(z.record(z.string(), z.unknown())).optional(),
    /** For an invoke step: the children to start. */
    invoke: invokeSpecSchema.optional(),
  }),
  /** An invoke step's children for this attempt, named before they are started. */
  z.object({
    type: z.literal("step.invoking"),
    ...step,
    attempt: z.number().int(),
    childRunIds: z.array(z.string()).min(1),
  }),
  /** They are started (recorded after `step.invoking`, so a crash between the two starts them again). */
  z.object({ type: z.literal("step.children-started"), ...step }),
  z.object({ type: z.literal("step.child-ended"), ...step, outcome: childOutcomeSchema }),
  /** This child run's end was reported to its parent. */
  z.object({ type: z.literal("run.parent-notified") }),
  /**
   * The events announcing the run's end (an Inngest function's lifecycle events) are recorded,
   * or, with `abandoned`, were given up after a day of failures (why).
   */
  z.object({ type: z.literal("run.end-announced"), abandoned: z.string().optional() }),
  z.object({ type: z.literal("step.waiting"), ...step, wait: waitSpecSchema }),
  /** One of a multi-event wait's events arrived. */
  z.object({ type: z.literal("step.wait-part"), ...step, part: z.number().int().min(0), event: runEventSchema }),
  /** The wait is in its event's WaitIndex, so an arriving event finds it. */
  z.object({ type: z.literal("step.wait-registered"), ...step }),
  z.object({
    type: z.literal("step.completed"),
    ...step,
    op: stepOpSchema,
    attempt: z.number().int(),
    startedAt: z.number().optional(),
    output: z.unknown(),
    /** A wait that ended because its timeout passed (its output is null). */
    timedOut: z.boolean().optional(),
    /** Kept from the run this one replays, not run again. */
    replayedFrom: z.string().optional(),
    /** The attempt's changes to the run's metadata, applied as the step completes. */
    metadata: z.array(metadataOpSchema).optional(),
    /** A result past the inline limit: where it is kept in R2 (`output` is null). */
    claim: claimSchema.optional(),
    /** What the attempt logged. */
    logs: stepLogsSchema.optional(),
  }),
  z.object({
    type: z.literal("step.retrying"),
    ...step,
    attempt: z.number().int(),
    startedAt: z.number(),
    error: serializedErrorSchema,
    retryAt: z.number(),
    logs: stepLogsSchema.optional(),
  }),
  z.object({
    type: z.literal("step.failed"),
    ...step,
    op: stepOpSchema,
    attempt: z.number().int(),
    startedAt: z.number().optional(),
    error: serializedErrorSchema,
    logs: stepLogsSchema.optional(),
  }),
  z.object({ type: z.literal("step.sleeping"), ...step, until: z.number() }),
  z.object({ type: z.literal("step.woken"), ...step, early: z.boolean() }),
  z.object({
    type: z.literal("run.retrying"),
    attempt: z.number().int(),
    error: serializedErrorSchema,
    retryAt: z.number(),
  }),
  z.object({ type: z.literal("run.completed"), output: z.unknown(), claim: claimSchema.optional() }),
  z.object({ type: z.literal("run.failed"), error: serializedErrorSchema }),
  z.object({ type: z.literal("run.failure-handler"), failureRunId: z.string() }),
  z.object({ type: z.literal("run.cancelled"), reason: z.string() }),
  /** Every step that could run waits for a concurrency slot: the run shows as queued, and why. */
  z.object({ type: z.literal("run.slot-waiting"), reason: z.string() }),
  z.object({ type: z.literal("run.slot-granted") }),
  /** Its function is paused (or draining, before the run started): the run holds, and why. */
  z.object({ type: z.literal("run.held"), mode: z.enum(CONTROL_MODES), reason: z.string() }),
  /** Its function was resumed: the run goes on. */
  z.object({ type: z.literal("run.released") }),
  /** Flow control let the run start, or start no earlier than `notBefore` (throttle). */
  z.object({ type: z.literal("run.admitted"), notBefore: z.number().optional(), reason: z.string().optional() }),
  /** Flow control turned the run away (rate limit, singleton). */
  z.object({ type: z.literal("run.skipped"), reason: z.string() }),
  /**
   * A wait token, made by `step.createToken` or by a token wait of its own (`stepId`): its id
   * (the capability), when it expires, and the secret its completions must be signed with.
   */
  z.object({
    type: z.literal("token.created"),
    ...step,
    tokenId: z.string(),
    until: z.number(),
    secret: z.string().optional(),
  }),
  /** The token was completed, once, with this body. */
  z.object({ type: z.literal("token.completed"), tokenId: z.string(), data: z.unknown() }),
  /** The step waits until the token is completed, or until `until` (it then returns null). */
  z.object({ type: z.literal("step.token-waiting"), ...step, tokenId: z.string(), until: z.number() }),
]);
export type HistoryEvent = z.infer<typeof historyEventSchema>;

/** A history entry as callers see it (API, dashboard): a wait token's secret replaced by `signed`. */
export function shownEntry<T extends HistoryEvent>(entry: T): T {
  if (entry.type !== "token.created" || entry.secret === undefined) return entry;
  const { secret: _secret, ...rest } = entry;
  return { ...rest, signed: true } as unknown as T;
}

/** A history event as stored: its position and when it was recorded. */
export type HistoryEntry = HistoryEvent & { seq: number; at: number };
