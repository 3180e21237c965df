/**
 * The run's state machine: given the state and what the SDK reported, which history events to
 * record. Pure: no I/O and no `cloudflare:` imports, so it is tested in plain Node.
 */
import {
  MAX_INLINE_OUTPUT_BYTES,
  MAX_RUN_KEPT_BYTES,
  type ChildOutcome,
  type ExecutionResponse,
  type ReachedStep,
  type RunEvent,
  type SerializedError,
} from "../../sdk/protocol.ts";
import { backoffDelay, type BackoffPolicy } from "../../src/core/lib/backoff.ts";
import { formatBytes, jsonBytes, outputBytes } from "../../src/core/lib/json-size.ts";
import type { HistoryEvent } from "./history.ts";
import { MAX_RUN_LOG_LINES, waitRef, type RunState } from "./state.ts";
import type { StepLogLine } from "../../sdk/step-logs.ts";
import { namedError } from "../../sdk/error-names.ts";
import { decideToken } from "./tokens.ts";
import { applyMetadata, MAX_METADATA_BYTES, type MetadataOp } from "../../sdk/metadata.ts";

/** The policies and limits a decision is made under. */
export interface EngineConfig {
  retries: number;
  /** `timeouts.start` and `timeouts.finish`, in milliseconds. */
  startTimeoutMs?: number | undefined;
  finishTimeoutMs?: number | undefined;
  /** A run past `timeouts.finish` is cancelled (Inngest's rule) instead of failed (Stepwise's). */
  finishCancels?: boolean | undefined;
  /** `cancelOn`, as waits measured from the run's start. */
  cancelOn?: { event: string; if?: string | undefined; timeoutMs?: number | undefined }[] | undefined;
  backoff: BackoffPolicy;
  maxSteps: number;
  /** Largest step result; past MAX_INLINE_OUTPUT_BYTES it arrives as a claim on R2 (`claim.bytes`). */
  maxOutputBytes: number;
  /** Largest function result (kept in the history); `maxOutputBytes` when absent. */
  maxResultBytes?: number;
  /** The deployment's public origin (STEPWISE_PUBLIC_URL), which wait token URLs start with. */
  publicUrl?: string | undefined;
  /** The key new wait token ids are signed with (src/core/runs/token-ids.ts). */
  tokenKey?: string | undefined;
  /** The version of the code this drive runs (recorded when the run starts; named when it no longer matches). */
  version?: string | undefined;
}

/** The moment and the randomness a decision uses, passed in so decisions are reproducible. */
export interface DecisionContext {
  now: number;
  random: () => number;
}

const limitError = (message: string): SerializedError => namedError("LimitExceededError", message);

function oversized(what: string, bytes: number, config: EngineConfig): SerializedError | undefined {
  if (bytes <= config.maxOutputBytes) return undefined;
  return limitError(
    `${what} returned ${formatBytes(bytes)} of JSON; the limit is ${formatBytes(config.maxOutputBytes)}`,
  );
}

/** Why a step's metadata changes cannot apply to the run's metadata (a type clash, or over the limit). */
function metadataRefusal(state: RunState, stepId: string, ops: MetadataOp[]): SerializedError | undefined {
  const applied = applyMetadata(state.metadata, ops);
  if (!applied.ok) return namedError("InvalidMetadataError", `Step "${stepId}": ${applied.error}`);
  const bytes = jsonBytes(applied.value);
  if (bytes <= MAX_METADATA_BYTES) return undefined;
  return limitError(
    `Step "${stepId}" would make the run's metadata ${formatBytes(bytes)} of JSON; the limit is ${formatBytes(MAX_METADATA_BYTES)}`,
  );
}

/** An attempt's log lines as recorded: none once the run holds {@link MAX_RUN_LOG_LINES}. */
function logsOf(state: RunState, logs: StepLogLine[] | undefined): { logs?: StepLogLine[] } {
  if (!logs?.length || (state.logLines ?? 0) >= MAX_RUN_LOG_LINES) return {};
  return { logs };
}

/** Bytes of step results the run keeps in R2: all of them are read back for a replay. */
export function keptBytes(state: RunState): number {
  let bytes = 0;
  for (const step of state.steps.values()) bytes += step.claim?.bytes ?? 0;
  return bytes;
}

function decideStep(
  state: RunState,
  reached: ReachedStep,
  config: EngineConfig,
  ctx: DecisionContext,
  kept: number = keptBytes(state),
): HistoryEvent | undefined {
  const known = state.steps.get(reached.id);
  if (known && (known.status === "completed" || known.status === "failed")) return undefined;
  const step = { stepId: reached.id, name: reached.name };
  const attempt = known?.failures ?? 0;
  // Send and invoke outcomes are reported like a run step's; the step keeps the kind it was scheduled as.
  const op = known?.op === "send" || known?.op === "invoke" ? known.op : "run";
  switch (reached.type) {
    case "planned":
      return known ? undefined : { type: "step.scheduled", ...step, op: "run" };
    case "wait":
      return known ? undefined : { type: "step.waiting", ...step, wait: reached.wait };
    case "send":
    case "invoke": {
      if (known) return undefined;
      // What is scheduled is kept in the history's row until the step runs: it must fit one.
      const payload = reached.type === "send" ? reached.events : reached.invoke;
      const bytes = jsonBytes(payload);
      if (bytes > MAX_INLINE_OUTPUT_BYTES) {
        const what = reached.type === "send" ? "events to send" : "children's data";
        const message = `Step "${reached.id}": its ${what} take ${formatBytes(bytes)} of JSON; the limit is ${formatBytes(MAX_INLINE_OUTPUT_BYTES)} (pass a reference, such as an R2 key, instead)`;
        return { type: "step.failed", ...step, op: reached.type, attempt: 0, error: limitError(message) };
      }
      return reached.type === "send"
        ? { type: "step.scheduled", ...step, op: "send", events: reached.events }
        : { type: "step.scheduled", ...step, op: "invoke", invoke: reached.invoke };
    }
    case "sleep":
      if (known) return undefined;
      if (reached.until <= ctx.now) return { type: "step.completed", ...step, op: "sleep", attempt: 0, output: null };
      return { type: "step.sleeping", ...step, until: reached.until };
    case "ran": {
      const logs = logsOf(state, reached.logs);
      // Only a result stored in R2 (a claim) may pass the inline limit: the history's rows cannot.
      const limit = reached.claim
        ? config
        : { ...config, maxOutputBytes: Math.min(config.maxOutputBytes, MAX_INLINE_OUTPUT_BYTES) };
      const tooBig = oversized(`Step "${reached.id}"`, reached.claim?.bytes ?? outputBytes(reached), limit);
      const startedAt = reached.timing.startedAt;
      if (tooBig) return { type: "step.failed", ...step, op, attempt, startedAt, error: tooBig, ...logs };
      if (reached.claim && kept + reached.claim.bytes > MAX_RUN_KEPT_BYTES) {
        const message = `Step "${reached.id}" returned ${formatBytes(reached.claim.bytes)}, and the run keeps ${formatBytes(kept)} of results in R2 already; the limit per run is ${formatBytes(MAX_RUN_KEPT_BYTES)} (a replay reads them all)`;
        return { type: "step.failed", ...step, op, attempt, startedAt, error: limitError(message), ...logs };
      }
      const changes = reached.metadata?.length ? metadataRefusal(state, reached.id, reached.metadata) : undefined;
      if (changes) return { type: "step.failed", ...step, op, attempt, startedAt, error: changes, ...logs };
      const metadata = reached.metadata?.length ? { metadata: reached.metadata } : {};
      const claim = reached.claim ? { claim: reached.claim } : {};
      const extras = { ...metadata, ...claim, ...logs };
      return { type: "step.completed", ...step, op, attempt, startedAt, output: reached.output, ...extras };
    }
    case "errored": {
      const startedAt = reached.timing.startedAt;
      const logs = logsOf(state, reached.logs);
      if (!reached.retriable || attempt >= config.retries) {
        return { type: "step.failed", ...step, op, attempt, startedAt, error: reached.error, ...logs };
      }
      const retryAt = Math.max(
        ctx.now,
        reached.retryAt ?? ctx.now + backoffDelay(attempt + 1, config.backoff, ctx.random),
      );
      return { type: "step.retrying", ...step, attempt, startedAt, error: reached.error, retryAt, ...logs };
    }
  }
}

/**
 * The step an invoke step's children make once every one has ended (undefined while one runs).
 * invokeMany completes with every outcome in order; a single invoke takes its child's output, or
 * fails with its child's error, retried (with a new child) under the function's policy. `outcomes`: the children's outcomes with the results
 * kept in R2 read back (the RunObject's), else as recorded.
 */
export function childrenReached(
  state: RunState,
  stepId: string,
  now: number,
  outcomes?: Record<string, ChildOutcome>,
): ReachedStep | undefined {
  const step = state.steps.get(stepId);
  if (state.terminal || step?.status !== "invoking" || !step.childRunIds || !step.childOutcomes) return undefined;
  const ended = outcomes ?? step.childOutcomes;
  const all = step.childRunIds.map((runId) => ended[runId]);
  if (all.some((outcome) => outcome === undefined)) return undefined;
  const timing = { startedAt: step.startedAt ?? now, endedAt: now };
  const [first] = all;
  return step.invoke?.many || first?.ok
    ? {
        type: "ran",
        id: step.id,
        name: step.name,
        output: step.invoke?.many ? all : first?.ok ? first.output : null,
        timing,
      }
    : {
        type: "errored",
        id: step.id,
        name: step.name,
        error: first?.ok === false ? first.error : namedError("InvokeError", "no outcome"),
        retriable: true,
        timing,
      };
}

/** What an invoke step records once its children have all ended (`reached`: as {@link childrenReached}). */
export function decideChildren(
  state: RunState,
  stepId: string,
  config: EngineConfig,
  ctx: DecisionContext,
  reached: ReachedStep | undefined = childrenReached(state, stepId, ctx.now),
): HistoryEvent[] {
  const event = reached && decideStep(state, reached, config, ctx);
  return event ? [event] : [];
}

/**
 * An event for part `part` of a waiting step: the history events that record it, and the step's
 * end when that completes the wait (a single wait or `any`: this event; `all`: once each arrived).
 * Nothing when another wait of the run already took the event.
 */
export function decideWaitEvent(state: RunState, stepId: string, part: number, event: RunEvent): HistoryEvent[] {
  const step = state.steps.get(stepId);
  if (state.terminal || step?.status !== "waiting") return [];
  // Its waits may sit in different WaitIndexes (keyed shards, a name's home), each offering it.
  const takenBy = state.takenEvents.get(event.id);
  if (takenBy !== undefined && takenBy.wait !== waitRef(stepId, part)) return [];
  const named = { stepId, name: step.name };
  const complete = (output: unknown): HistoryEvent => ({
    type: "step.completed",
    ...named,
    op: "wait",
    attempt: 0,
    output,
  });
  if (!step.arrived) return part === 0 ? [complete(event)] : [];
  if (part >= step.arrived.length || step.arrived[part]) return [];
  if (step.wait?.mode !== "all") return [{ type: "step.wait-part", ...named, part, event }, complete(event)];
  const arrived = step.arrived.map((seen, i) => (i === part ? event : seen));
  const done = arrived.every((seen) => seen !== null);
  return [{ type: "step.wait-part", ...named, part, event }, ...(done ? [complete(arrived)] : [])];
}

/** Longest a `cancelOn` listens when it has no timeout of its own. */
const CANCEL_ON_DEFAULT_MS = 365 * 86_400_000;

/**
 * How a run starts: cancelled if it waited longer than `timeouts.start` (time held by a paused or
 * draining function aside), otherwise started with its
 * finish deadline and its cancelling events, so both are part of the history.
 */
export function decideStart(state: RunState, config: EngineConfig, now: number): HistoryEvent[] {
  if (state.started || state.terminal) return [];
  // A delayed run's start timeout counts from its start time, and not while its function was paused.
  const due = Math.max(state.createdAt, state.startAt ?? 0);
  if (config.startTimeoutMs !== undefined && now - due - (state.heldMs ?? 0) > config.startTimeoutMs) {
    return [{ type: "run.cancelled", reason: `not started within its timeouts.start (${config.startTimeoutMs} ms)` }];
  }
  const cancelOn = (config.cancelOn ?? []).map((c) => ({
    event: c.event,
    until: now + (c.timeoutMs ?? CANCEL_ON_DEFAULT_MS),
    ...(c.if ? { if: c.if } : {}),
  }));
  return [
    {
      type: "run.started",
      ...(config.finishTimeoutMs !== undefined ? { finishBy: now + config.finishTimeoutMs } : {}),
      ...(config.finishTimeoutMs !== undefined && config.finishCancels ? { finishCancels: true } : {}),
      ...(cancelOn.length ? { cancelOn } : {}),
      ...(config.version ? { version: config.version } : {}),
    },
  ];
}

/**
 * A non-determinism failure names the versions when the code changed under the run: the one it
 * started on and the one that found its history no longer matching.
 */
function withVersions(state: RunState, error: SerializedError, config: EngineConfig): SerializedError {
  if (error.name !== "NonDeterminismError" || !state.version || !config.version || state.version === config.version)
    return error;
  return {
    ...error,
    message: `${error.message} (the run started on version ${state.version}; this is version ${config.version})`,
  };
}

/** The history events that record one SDK response. An empty list means nothing new happened. */
export function decide(
  state: RunState,
  response: ExecutionResponse,
  config: EngineConfig,
  ctx: DecisionContext,
): HistoryEvent[] {
  if (state.terminal) return [];
  switch (response.type) {
    case "completed": {
      // As a step's: only a result put in R2 (a claim) may pass the inline limit.
      const max = config.maxResultBytes ?? config.maxOutputBytes;
      const bytes = response.claim?.bytes ?? jsonBytes(response.output);
      const tooBig = oversized(`Function "${state.functionId}"`, bytes, {
        ...config,
        maxOutputBytes: response.claim ? max : Math.min(max, MAX_INLINE_OUTPUT_BYTES),
      });
      if (tooBig) return [{ type: "run.failed", error: tooBig }];
      return [
        response.claim
          ? { type: "run.completed", output: null, claim: response.claim }
          : { type: "run.completed", output: response.output },
      ];
    }
    case "failed": {
      if (!response.retriable || state.attempt >= config.retries)
        return [{ type: "run.failed", error: withVersions(state, response.error, config) }];
      const attempt = state.attempt + 1;
      const retryAt = Math.max(
        ctx.now,
        response.retryAt ?? ctx.now + backoffDelay(attempt, config.backoff, ctx.random),
      );
      return [{ type: "run.retrying", attempt, error: response.error, retryAt }];
    }
    case "steps": {
      const events: HistoryEvent[] = [];
      let seen = state;
      let count = state.steps.size;
      let kept = keptBytes(state);
      for (const reached of response.steps) {
        if (!state.steps.has(reached.id) && ++count > config.maxSteps) {
          const message = `Run reached the limit of ${config.maxSteps} steps at step "${reached.id}"`;
          return [...events, { type: "run.failed", error: limitError(message) }];
        }
        if (reached.type === "token" || reached.type === "token-wait") {
          events.push(...decideToken(state, reached, ctx.now, config));
          continue;
        }
        const event = decideStep(seen, reached, config, ctx, kept);
        if (event) events.push(event);
        // Steps of one answer count against the per-run R2 limit together, as for metadata.
        if (event?.type === "step.completed" && event.claim) kept += event.claim.bytes;
        // Steps of one answer count against the metadata limit together.
        if (event?.type === "step.completed" && event.metadata) {
          const applied = applyMetadata(seen.metadata, event.metadata);
          if (applied.ok) seen = { ...seen, metadata: applied.value };
        }
      }
      return events;
    }
  }
}
