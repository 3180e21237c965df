/**
 * The run's state as a fold over its history. Applying the same history always gives the same
 * state, which is how a run resumes after an eviction or a crash.
 */
import type { StepDurations } from "../../src/core/run-index/step-durations.ts";
import { countAttempt } from "./step-durations.ts";
import { z } from "zod";
import type {
  ChildOutcome,
  Claim,
  InvokeSpec,
  MemoStep,
  RunEvent,
  SerializedError,
  StepOp,
  WaitSpec,
} from "../../sdk/protocol.ts";
import type { EndedStatus, RunStatus } from "../../sdk/run-status.ts";
import type { HistoryEntry } from "./history.ts";
import { namedError } from "../../sdk/error-names.ts";
import { applyMetadata, type Metadata, type MetadataOp } from "../../sdk/metadata.ts";
import type { StepLogLine } from "../../sdk/step-logs.ts";

// The one list of statuses lives in the SDK, so that what users test against is what runs report.
export { RUN_STATUSES, type RunStatus } from "../../sdk/run-status.ts";
/** What a run notes of an event one of its waits took (see {@link RunState.takenEvents}). */
export interface TakenEvent {
  wait: string;
  name: string;
}
const takenEventSchema = z.object({ id: z.string(), name: z.string() });

export type StepStatus = "planned" | "completed" | "failed" | "retrying" | "sleeping" | "waiting" | "invoking";

export interface StepState {
  id: string;
  name: string;
  op: StepOp;
  status: StepStatus;
  /** Attempts that failed so far; the next attempt's number (0-based). */
  failures: number;
  firstSeenAt: number;
  /** The history entry that first named the step (for a planned step, its plan). */
  seenSeq: number;
  /** The entry that put the step in the memo (completed, failed or woken). */
  endedSeq?: number;
  startedAt?: number;
  endedAt?: number;
  output?: unknown;
  error?: SerializedError;
  until?: number;
  retryAt?: number;
  /** A waiting step's event name and condition. */
  wait?: WaitSpec;
  /** A multi-event wait's events so far, by position (null until each arrives). */
  arrived?: (RunEvent | null)[];
  /** Whether a waiting step is in its event's WaitIndex yet. */
  registered?: boolean;
  /** A send step's events. */
  events?: Record<string, unknown>[];
  /** An invoke step's children, the runs started for the current attempt, and how each ended. */
  invoke?: InvokeSpec;
  childRunIds?: string[];
  childOutcomes?: Record<string, ChildOutcome>;
  childrenStarted?: boolean;
  /** A token wait's token. */
  tokenId?: string;
  /** The completed attempt's changes to the run's metadata. */
  metadata?: MetadataOp[];
  /** A result kept in R2 (see payloads.ts): `output` is null, the memo names where it is. */
  claim?: Claim;
  /** What its attempts logged, oldest first, the last {@link MAX_KEPT_STEP_LOGS} lines. */
  logs?: (StepLogLine & { attempt: number })[];
}

/** Most step log lines one run records: the history, and the state in memory, stay bounded. */
export const MAX_RUN_LOG_LINES = 5_000;

/** Most log lines a step keeps across its attempts (each attempt keeps at most 100 of its own). */
export const MAX_KEPT_STEP_LOGS = 300;

/** Adds an attempt's log lines to `step`'s, and counts them for the run. */
function noteLogs(state: RunState, step: StepState, attempt: number, logs: StepLogLine[] | undefined): void {
  if (!logs?.length) return;
  state.logLines = (state.logLines ?? 0) + logs.length;
  step.logs = [...(step.logs ?? []), ...logs.map((line) => ({ ...line, attempt }))].slice(-MAX_KEPT_STEP_LOGS);
}

/** A wait token of the run (see tokens.ts). */
export interface TokenState {
  id: string;
  /** The step that created it: a `createToken` step, or a token wait that made its own. */
  stepId: string;
  until: number;
  secret?: string;
  completed?: { data: unknown; at: number };
}

export interface RunState {
  runId: string;
  functionId: string;
  events: RunEvent[];
  parentRunId?: string;
  /** A child run: the parent's step awaiting it, and whether its end has been reported there. */
  parentStepId?: string;
  parentNotified?: boolean;
  /** The events announcing the run's end have been recorded. */
  endAnnounced?: boolean;
  /** Why the run is queued (a concurrency slot, a throttle), while it is. */
  queuedReason?: string;
  /** Since when the run waits for a concurrency slot, while it does. */
  queuedAt?: number;
  /** The version of the code the run started on. */
  version?: string;
  /** Why the run holds (its function is paused or draining) and since when, while it does. */
  heldReason?: string;
  heldAt?: number;
  /** How long it held in all, released holds only (a start timeout does not count it). */
  heldMs?: number;
  /** The run this one replays. */
  replayOf?: string;
  /** Its tags, its parent's included. */
  tags?: string[];
  /** From `timeouts.finish`: the run fails if it has not finished by then. */
  finishBy?: number;
  /** Past `finishBy` the run is cancelled, not failed. */
  finishCancels?: boolean;
  /** From `cancelOn`: events that cancel the run, and whether they are registered yet. */
  cancelOn?: WaitSpec[];
  cancelRegistered?: boolean;
  terminal?: EndedStatus;
  /** Flow control has let the run start (throttle, rate limit, singleton), possibly not before `notBefore`. */
  admitted?: boolean;
  notBefore?: number;
  started: boolean;
  /** Function-level attempt (errors thrown outside steps). */
  attempt: number;
  retryAt?: number;
  steps: Map<string, StepState>;
  /** Outcomes handed to the SDK on replay; kept in step with `steps`. */
  memo: Record<string, MemoStep>;
  /**
   * The events that ended a wait of this run, by id: the wait each ended ({@link waitRef}) and its
   * name. One event resumes at most one wait of a run, even when its waits live in different
   * WaitIndexes.
   */
  takenEvents: Map<string, TakenEvent>;
  /** What the run's steps wrote to its metadata (see sdk/metadata.ts). */
  metadata: Metadata;
  /** Its step attempts' durations (step-durations.ts), once one has run. */
  stepDurations?: StepDurations;
  /** The run's wait tokens, by id, in the order they were made. */
  tokens: Map<string, TokenState>;
  output?: unknown;
  /** The run's result is kept in R2 (payloads.ts): `output` is null, this names where. */
  outputClaim?: Claim | undefined;
  error?: SerializedError;
  failureRunId?: string;
  createdAt: number;
  /** A delayed run: it starts no earlier than this. */
  startAt?: number;
  /** Step log lines its history holds (past {@link MAX_RUN_LOG_LINES} no more are recorded). */
  logLines?: number;
  endedAt?: number;
  updatedAt: number;
  lastSeq: number;
}

/** Starts a state from the run's first history entry, which must be `run.created`. */
export function initialState(entry: HistoryEntry): RunState {
  if (entry.type !== "run.created") throw new Error(`A run's history must start with run.created, not ${entry.type}`);
  return {
    runId: entry.runId,
    functionId: entry.functionId,
    events: entry.events,
    ...(entry.parentRunId ? { parentRunId: entry.parentRunId } : {}),
    ...(entry.parentStepId ? { parentStepId: entry.parentStepId } : {}),
    ...(entry.replayOf ? { replayOf: entry.replayOf } : {}),
    ...(entry.tags?.length ? { tags: entry.tags } : {}),
    ...(entry.startAt !== undefined ? { startAt: entry.startAt } : {}),
    started: false,
    attempt: 0,
    steps: new Map(),
    memo: {},
    takenEvents: new Map(),
    tokens: new Map(),
    metadata: {},
    createdAt: entry.at,
    updatedAt: entry.at,
    lastSeq: entry.seq,
  };
}

function upsertStep(state: RunState, id: string, name: string, op: StepOp, at: number): StepState {
  let step = state.steps.get(id);
  if (!step) {
    step = { id, name, op, status: "planned", failures: 0, firstSeenAt: at, seenSeq: state.lastSeq };
    state.steps.set(id, step);
  }
  return step;
}

/** Applies one history entry to the state, in place. */
export function apply(state: RunState, entry: HistoryEntry): void {
  state.lastSeq = entry.seq;
  state.updatedAt = entry.at;
  state.stepDurations = countAttempt(state.stepDurations, entry);
  switch (entry.type) {
    case "run.created":
      return;
    case "run.rescheduled":
      state.startAt = entry.startAt;
      return;
    case "run.started":
      state.started = true;
      if (entry.finishBy !== undefined) state.finishBy = entry.finishBy;
      if (entry.finishCancels) state.finishCancels = true;
      if (entry.cancelOn?.length) Object.assign(state, { cancelOn: entry.cancelOn, cancelRegistered: false });
      if (entry.version) state.version = entry.version;
      return;
    case "run.admitted":
      state.admitted = true;
      if (entry.notBefore !== undefined)
        Object.assign(state, { notBefore: entry.notBefore, queuedReason: entry.reason });
      return;
    case "run.skipped":
      Object.assign(state, {
        admitted: true,
        terminal: "skipped",
        endedAt: entry.at,
        error: namedError("RunSkippedError", entry.reason),
      });
      return;
    case "run.slot-waiting":
      state.queuedReason = entry.reason;
      state.queuedAt ??= entry.at;
      return;
    case "run.slot-granted":
      state.queuedReason = undefined;
      state.queuedAt = undefined;
      return;
    case "run.held":
      Object.assign(state, { heldReason: entry.reason, heldAt: entry.at });
      return;
    case "run.released":
      state.heldMs = (state.heldMs ?? 0) + Math.max(0, entry.at - (state.heldAt ?? entry.at));
      Object.assign(state, { heldReason: undefined, heldAt: undefined });
      return;
    case "run.cancel-registered":
      state.cancelRegistered = true;
      return;
    case "step.scheduled": {
      const step = upsertStep(state, entry.stepId, entry.name, entry.op, entry.at);
      if (entry.events) step.events = entry.events;
      if (entry.invoke) step.invoke = entry.invoke;
      return;
    }
    case "step.invoking": {
      const step = upsertStep(state, entry.stepId, entry.name, "invoke", entry.at);
      Object.assign(step, {
        status: "invoking",
        childRunIds: entry.childRunIds,
        childOutcomes: {},
        childrenStarted: false,
        until: step.invoke?.until,
        retryAt: undefined,
      });
      step.startedAt ??= entry.at;
      return;
    }
    case "step.children-started": {
      const step = state.steps.get(entry.stepId);
      if (step) step.childrenStarted = true;
      return;
    }
    case "step.child-ended": {
      const step = state.steps.get(entry.stepId);
      if (step?.childOutcomes && step.childRunIds?.includes(entry.outcome.runId))
        step.childOutcomes[entry.outcome.runId] = entry.outcome;
      return;
    }
    case "run.parent-notified":
      state.parentNotified = true;
      return;
    case "run.end-announced":
      state.endAnnounced = true;
      return;
    case "step.waiting": {
      const step = upsertStep(state, entry.stepId, entry.name, "wait", entry.at);
      const arrived = entry.wait.more ? [null, ...entry.wait.more.map(() => null)] : undefined;
      Object.assign(step, {
        status: "waiting",
        wait: entry.wait,
        until: entry.wait.until,
        startedAt: entry.at,
        registered: false,
        arrived,
      });
      return;
    }
    case "step.wait-part": {
      const step = state.steps.get(entry.stepId);
      if (step?.arrived && entry.part < step.arrived.length) step.arrived[entry.part] = entry.event;
      noteTaken(state, waitRef(entry.stepId, entry.part), entry.event);
      return;
    }
    case "step.wait-registered": {
      const step = state.steps.get(entry.stepId);
      if (step) step.registered = true;
      return;
    }
    case "step.completed": {
      const step = upsertStep(state, entry.stepId, entry.name, entry.op, entry.at);
      noteLogs(state, step, entry.attempt, entry.logs);
      Object.assign(step, {
        status: "completed",
        output: entry.output,
        endedAt: entry.at,
        endedSeq: entry.seq,
        retryAt: undefined,
      });
      step.startedAt ??= entry.startedAt ?? entry.at;
      state.memo[entry.stepId] = {
        status: "completed",
        op: entry.op,
        output: entry.output,
        ...(entry.claim ? { claim: entry.claim } : {}),
      };
      if (entry.claim) step.claim = entry.claim;
      if (entry.op === "wait") noteTaken(state, waitRef(entry.stepId, 0), entry.output);
      if (entry.metadata) {
        step.metadata = entry.metadata;
        // The engine checked the changes before recording them, so they apply.
        const applied = applyMetadata(state.metadata, entry.metadata);
        if (applied.ok) state.metadata = applied.value;
      }
      return;
    }
    case "step.failed": {
      const step = upsertStep(state, entry.stepId, entry.name, entry.op, entry.at);
      noteLogs(state, step, entry.attempt, entry.logs);
      Object.assign(step, {
        status: "failed",
        error: entry.error,
        endedAt: entry.at,
        endedSeq: entry.seq,
        retryAt: undefined,
      });
      step.failures = entry.attempt + 1;
      step.startedAt ??= entry.startedAt ?? entry.at;
      state.memo[entry.stepId] = { status: "failed", op: entry.op, error: entry.error };
      return;
    }
    case "step.retrying": {
      const step = upsertStep(state, entry.stepId, entry.name, "run", entry.at);
      noteLogs(state, step, entry.attempt, entry.logs);
      Object.assign(step, {
        status: "retrying",
        error: entry.error,
        retryAt: entry.retryAt,
        failures: entry.attempt + 1,
      });
      step.startedAt ??= entry.startedAt;
      return;
    }
    case "step.sleeping": {
      const step = upsertStep(state, entry.stepId, entry.name, "sleep", entry.at);
      Object.assign(step, { status: "sleeping", until: entry.until, startedAt: entry.at });
      return;
    }
    case "step.woken": {
      const step = upsertStep(state, entry.stepId, entry.name, "sleep", entry.at);
      Object.assign(step, { status: "completed", output: null, endedAt: entry.at, endedSeq: entry.seq });
      state.memo[entry.stepId] = { status: "completed", op: "sleep", output: null };
      return;
    }
    case "run.retrying":
      state.attempt = entry.attempt;
      state.retryAt = entry.retryAt;
      state.error = entry.error;
      return;
    case "run.completed":
      Object.assign(state, {
        terminal: "completed",
        output: entry.output,
        outputClaim: entry.claim,
        endedAt: entry.at,
        retryAt: undefined,
        error: undefined,
      });
      return;
    case "run.failed":
      Object.assign(state, { terminal: "failed", error: entry.error, endedAt: entry.at, retryAt: undefined });
      return;
    case "run.cancelled":
      Object.assign(state, { terminal: "cancelled", endedAt: entry.at, retryAt: undefined });
      return;
    case "run.failure-handler":
      state.failureRunId = entry.failureRunId;
      return;
    case "token.created":
      state.tokens.set(entry.tokenId, {
        id: entry.tokenId,
        stepId: entry.stepId,
        until: entry.until,
        ...(entry.secret !== undefined ? { secret: entry.secret } : {}),
      });
      return;
    case "token.completed": {
      const token = state.tokens.get(entry.tokenId);
      if (token) token.completed = { data: entry.data, at: entry.at };
      return;
    }
    case "step.token-waiting": {
      const step = upsertStep(state, entry.stepId, entry.name, "wait", entry.at);
      // Nothing to register: a completion names the run in the token's id.
      Object.assign(step, {
        status: "waiting",
        tokenId: entry.tokenId,
        until: entry.until,
        startedAt: entry.at,
        registered: true,
      });
      return;
    }
  }
}

/** A wait of a run, as {@link RunState.takenEvents} names it: a step, and a part of a multi-event wait. */
export const waitRef = (stepId: string, part: number): string => `${stepId}#${part}`;

/**
 * Notes the event a wait took: a single wait's output (a multi-event wait's parts are noted as each
 * arrives, and its output is their list; a timeout's null is no event).
 */
function noteTaken(state: RunState, wait: string, event: unknown): void {
  const taken = takenEventSchema.safeParse(event);
  if (taken.success && !state.takenEvents.has(taken.data.id))
    state.takenEvents.set(taken.data.id, { wait, name: taken.data.name });
}

/**
 * Whether part `part` of step `stepId` still waits for an event: an event it was offered and did
 * not take (another wait of the run took it) must be looked for again.
 */
export function waitPartOpen(state: RunState, stepId: string, part: number): boolean {
  const step = state.steps.get(stepId);
  if (state.terminal || step?.status !== "waiting") return false;
  return step.arrived ? step.arrived[part] === null : part === 0;
}

/** Folds a whole history into a state; undefined when the run does not exist. */
export function foldHistory(entries: HistoryEntry[]): RunState | undefined {
  const [first, ...rest] = entries;
  if (!first) return undefined;
  const state = initialState(first);
  for (const entry of rest) apply(state, entry);
  return state;
}

/** The status shown to users, derived from the state. */
export function runStatus(state: RunState): RunStatus {
  if (state.terminal) return state.terminal;
  if (state.heldReason) return "paused";
  // Delayed: until its drive at `startAt` admits or starts it.
  if (!state.started && !state.admitted && !state.queuedReason && state.startAt !== undefined) return "scheduled";
  if (!state.started || state.queuedReason) return "queued";
  let sleeping = false;
  let waiting = false;
  for (const step of state.steps.values()) {
    if (step.status === "planned" || step.status === "retrying") return "running";
    if (step.status === "sleeping") sleeping = true;
    if (step.status === "waiting" || step.status === "invoking") waiting = true;
  }
  return waiting ? "waiting" : sleeping ? "sleeping" : "running";
}
