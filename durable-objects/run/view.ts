/**
 * The run as the API and the dashboard show it, derived from its state.
 */
import { z } from "zod";
import { runEventSchema, serializedErrorSchema, stepOpSchema } from "../../sdk/protocol.ts";
import type { RunState, StepState } from "./state.ts";
import { RUN_STATUSES, runStatus } from "./state.ts";
import { nextWake } from "./timers.ts";

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

const iso8601 = z.string().optional();

const stepViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  op: stepOpSchema,
  status: z.string(),
  attempts: z.number().int(),
  startedAt: iso8601,
  endedAt: iso8601,
  durationMs: z.number().optional(),
  output: z.unknown(),
  error: serializedErrorSchema.optional(),
  sleepUntil: iso8601,
  retryAt: iso8601,
});

/** A run as it leaves its RunObject; callers across RPC parse it back with this schema. */
export const runViewSchema = z.object({
  id: z.string(),
  functionId: z.string(),
  status: z.enum(RUN_STATUSES),
  queuedReason: z.string().optional(),
  attempt: z.number().int(),
  event: runEventSchema.optional(),
  events: z.array(runEventSchema),
  output: z.unknown(),
  error: serializedErrorSchema.optional(),
  parentRunId: z.string().optional(),
  replayOf: z.string().optional(),
  failureRunId: z.string().optional(),
  createdAt: iso8601,
  updatedAt: iso8601,
  endedAt: iso8601,
  nextWakeAt: iso8601,
  steps: z.array(stepViewSchema),
});
export type RunView = z.infer<typeof runViewSchema>;

function stepView(step: StepState): z.infer<typeof stepViewSchema> {
  return {
    id: step.id,
    name: step.name,
    op: step.op,
    status: step.status,
    attempts: step.status === "completed" ? step.failures + 1 : step.failures,
    startedAt: iso(step.startedAt),
    endedAt: iso(step.endedAt),
    durationMs: step.startedAt !== undefined && step.endedAt !== undefined ? step.endedAt - step.startedAt : undefined,
    output: step.output,
    error: step.error,
    sleepUntil: iso(step.until),
    retryAt: step.status === "retrying" ? iso(step.retryAt) : undefined,
  };
}

/** A run with its steps, in the order the function reached them. */
export function runView(state: RunState, now: number): RunView {
  return {
    id: state.runId,
    functionId: state.functionId,
    status: runStatus(state),
    /** Why a queued run waits (a concurrency slot, a throttle). */
    queuedReason: state.queuedReason,
    attempt: state.attempt,
    event: state.events[0],
    events: state.events,
    output: state.output,
    error: state.error,
    parentRunId: state.parentRunId,
    replayOf: state.replayOf,
    failureRunId: state.failureRunId,
    createdAt: iso(state.createdAt),
    updatedAt: iso(state.updatedAt),
    endedAt: iso(state.endedAt),
    nextWakeAt: iso(nextWake(state, now)),
    steps: [...state.steps.values()].map(stepView),
  };
}
