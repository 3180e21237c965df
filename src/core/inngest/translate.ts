/**
 * Stepwise's execution protocol (sdk/protocol.ts) in Inngest's words and back, so the engine
 * drives an Inngest function exactly as it drives its own (../shared/INNGEST-PROTOCOL.md §2, §3):
 *
 * - the request: `?fnId=&stepId=`, a body whose `steps` hold the memo in Inngest's encoding and
 *   whose `ctx` carries the attempt, `max_attempts` and the completion order (`stack`); `fn_id`
 *   only for an app known to reach Stepwise, since it makes the SDK checkpoint there;
 * - the checkpoints such an app sends while a call runs: the steps it ran, in order;
 * - the answer: `200` (done), `206` with the ops reached or run, `4xx/5xx` with
 *   `x-inngest-no-retry` and `retry-after`, or a streamed `201` wrapping one of those.
 *
 * Pure: the transport (src/core/transport/inngest.ts) sends and signs.
 */
import { z } from "zod";
import { namedError } from "../../../sdk/error-names.ts";
import { toMs } from "../../../sdk/duration.ts";
import type { ExecutionRequest, ExecutionResponse, MemoStep, ReachedStep, RunEvent } from "../../../sdk/protocol.ts";
import { reachedStepSchema, serializedErrorSchema } from "../../../sdk/protocol.ts";
import { CRON_EVENT, INVOKED_EVENT } from "../../../sdk/system-events.ts";

/** Stepwise's system events under the names an Inngest function expects (its triggers are checked). */
const INNGEST_NAMES: Record<string, string> = {
  [INVOKED_EVENT]: "inngest/function.invoked",
  [CRON_EVENT]: "inngest/scheduled.timer",
};

/** A run's event as Inngest's SDK reads it. */
export function inngestEvent(event: RunEvent): RunEvent {
  return { ...event, name: INNGEST_NAMES[event.name] ?? event.name };
}

/** Stepwise's invoke timeout under the name and message Inngest's SDK and users look for. */
const INVOKE_TIMEOUT = {
  name: "InngestInvokeTimeoutError",
  message: "Timed out waiting for invoked function to complete",
};

/** A recorded step's outcome in Inngest's encoding: `{ data }`, `{ error }`, the matched event, or null. */
export function encodeMemo(step: MemoStep): unknown {
  if (step.status === "failed" && step.op === "invoke" && step.error.name === "InvokeTimeoutError")
    return { error: { ...INVOKE_TIMEOUT, error: `${INVOKE_TIMEOUT.name}: ${INVOKE_TIMEOUT.message}` } };
  if (step.status === "failed") return { error: step.error };
  if (step.op === "sleep") return null;
  // A wait resolves with the event itself (null when it timed out), as Inngest's server stores it.
  if (step.op === "wait")
    return step.output === null || step.output === undefined ? null : inngestEvent(step.output as RunEvent);
  return { data: step.output ?? null };
}

/**
 * The call for `request`: its query, headers and (unsigned, canonical later) body. With
 * `callId` (an app that reaches Stepwise), `ctx` carries `fn_id` and `qi_id` (the call's id),
 * which let the SDK run step after step in this one call, reporting each to
 * `/v1/checkpoint/:runId/async` under that id.
 */
export function inngestCall(
  request: ExecutionRequest,
  maxAttempts: number,
  callId?: string,
): { query: string; headers: Record<string, string>; body: Record<string, unknown> } {
  const stepId = request.runStep ?? "step";
  const stack = Object.keys(request.steps);
  const body = {
    ctx: {
      ...(callId !== undefined ? { fn_id: request.functionId, qi_id: callId } : {}),
      attempt: request.attempt,
      // After a retry of the body, a new step must come back planned so it runs at its own attempt 0.
      disable_immediate_execution: !request.allowImmediate || (request.runStep === undefined && request.attempt > 0),
      max_attempts: maxAttempts,
      run_id: request.runId,
      stack: { current: stack.length, stack },
      use_api: false,
    },
    event: inngestEvent(request.event),
    events: request.events.map(inngestEvent),
    steps: Object.fromEntries(Object.entries(request.steps).map(([id, step]) => [id, encodeMemo(step)])),
    version: -1,
  };
  const query = `fnId=${encodeURIComponent(request.functionId)}&stepId=${encodeURIComponent(stepId)}`;
  const headers = {
    "content-type": "application/json",
    "x-run-id": request.runId,
    "x-inngest-step-id": stepId,
    "x-inngest-req-version": "-1",
  };
  return { query, headers, body };
}

const opSchema = z.looseObject({
  op: z.string(),
  id: z.string(),
  name: z.string().optional(),
  displayName: z.string().optional(),
  data: z.unknown().optional(),
  error: z.unknown().optional(),
  opts: z.record(z.string(), z.unknown()).optional(),
  userland: z.looseObject({ id: z.string(), index: z.number().optional() }).optional(),
});
type Op = z.infer<typeof opSchema>;

/** The name the history and dashboard show: the user's step id (with its repeat), not the hash. */
function label(op: Op): string {
  const base = op.displayName ?? op.userland?.id ?? op.name ?? op.id;
  return op.userland?.index !== undefined && op.displayName === undefined ? `${base}#${op.userland.index}` : base;
}

/** Seconds or an ISO date, as `retry-after` gives it; clamped to 1 s – 24 h as Inngest's server does. */
export function retryAt(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const at = /^\d+$/.test(header.trim()) ? now + Number(header) * 1000 : Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.min(now + 86_400_000, Math.max(now + 1000, at));
}

/** An error as the SDK serializes it, read leniently. */
function errorOf(value: unknown, fallback: string): z.infer<typeof serializedErrorSchema> {
  const parsed = serializedErrorSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  if (typeof value === "string" && value !== "") return { name: "Error", message: value };
  return { name: "Error", message: fallback };
}

/** A sleep's end: the SDK puts its duration (or an ISO date) in the op's name. */
function sleepUntil(name: string | undefined, now: number): number {
  if (!name) return now;
  const date = Date.parse(name);
  if (/^\d{4}-\d{2}-\d{2}/.test(name) && !Number.isNaN(date)) return date;
  return now + toMs(name);
}

/**
 * One op of a 206 as the engine's reached step, checked against the engine's schema: an op the
 * engine cannot act on (an invoke naming no function, a wait with no event, a sleep of no known
 * length) fails its step for good with a ProtocolError naming what is wrong, instead of leaving
 * the run stuck on a step it can never start.
 */
function reachedChecked(op: Op, headers: Headers, now: number, timing: Timing): ReachedStep {
  let why: string;
  try {
    const step = reachedStepSchema.safeParse(reached(op, headers, now, timing));
    if (step.success) return step.data;
    why = z.prettifyError(step.error);
  } catch (error) {
    why = error instanceof Error ? error.message : String(error);
  }
  return {
    type: "errored",
    id: op.id,
    name: label(op),
    error: namedError("ProtocolError", `Step "${label(op)}" (${op.op}) cannot run: ${why}`),
    retriable: false,
    timing,
  };
}

type Timing = { startedAt: number; endedAt: number };

/** One op of a 206, as the engine's reached step (`RunComplete` is handled apart). */
function reached(op: Op, headers: Headers, now: number, timing: Timing): ReachedStep {
  const named = { id: op.id, name: label(op) };
  const noRetry = headers.get("x-inngest-no-retry") === "true";
  switch (op.op) {
    case "StepRun":
      return { type: "ran", ...named, output: op.data ?? null, timing };
    case "StepError":
    case "StepFailed": {
      const at = retryAt(headers.get("retry-after"), now);
      const retriable = op.op === "StepError" && !noRetry;
      return {
        type: "errored",
        ...named,
        error: errorOf(op.error, "the step failed"),
        retriable,
        timing,
        ...(at !== undefined && retriable ? { retryAt: at } : {}),
      };
    }
    case "StepPlanned":
      return { type: "planned", ...named, op: "run" };
    case "Sleep":
      return { type: "sleep", ...named, until: sleepUntil(op.name, now) };
    case "WaitForEvent": {
      const opts = op.opts ?? {};
      const event = typeof opts.event === "string" ? opts.event : (op.name ?? "");
      const timeout = typeof opts.timeout === "string" ? opts.timeout : "1y";
      const condition = typeof opts.if === "string" ? { if: opts.if } : {};
      return { type: "wait", ...named, wait: { event, until: now + toMs(timeout), ...condition } };
    }
    case "InvokeFunction": {
      const opts = op.opts ?? {};
      const payload = z.looseObject({ data: z.record(z.string(), z.unknown()).optional() }).safeParse(opts.payload);
      const timeout = typeof opts.timeout === "string" ? { until: now + toMs(opts.timeout) } : {};
      const functionId = typeof opts.function_id === "string" ? opts.function_id : "";
      const children = [{ functionId, data: payload.success ? (payload.data.data ?? {}) : {} }];
      return { type: "invoke", ...named, invoke: { children, many: false, ...timeout } };
    }
    default:
      return {
        type: "errored",
        ...named,
        error: namedError(
          "ProtocolError",
          `Step "${label(op)}" is a ${op.op}, which Stepwise does not run for Inngest apps yet`,
        ),
        retriable: false,
        timing,
      };
  }
}

/** The app's answer, unwrapped from a streamed 201 when it is one. */
export function unwrapAnswer(
  status: number,
  headers: Headers,
  text: string,
): { status: number; headers: Headers; text: string } {
  if (status !== 201) return { status, headers, text };
  const wrapped = z
    .object({ status: z.number(), headers: z.record(z.string(), z.string()).default({}), body: z.string().default("") })
    .parse(JSON.parse(text.trim()));
  return { status: wrapped.status, headers: new Headers(wrapped.headers), text: wrapped.body };
}

/**
 * Reads the app's answer as an execution response; throws (for the transport to make a failed
 * attempt) when it is not an answer of the SDK at all.
 */
export function readAnswer(
  answer: { status: number; headers: Headers; text: string },
  timing: { startedAt: number; endedAt: number },
): ExecutionResponse {
  const { status, headers, text } = answer;
  const now = timing.endedAt;
  const json = (): unknown => (text.trim() === "" ? null : JSON.parse(text));
  if (status === 200) return { type: "completed", output: json() ?? null };
  if (status === 206) {
    const ops = z.array(opSchema).min(1).parse(json());
    const done = ops.find((op) => op.op === "RunComplete");
    const steps = ops.filter((op) => op.op !== "RunComplete");
    if (steps.length === 0 && done) return { type: "completed", output: done.data ?? null };
    // RunComplete beside other ops comes only from a checkpointing SDK whose checkpoints failed
    // (it then reports the buffered steps here). The steps are recorded; the next call replays
    // them and the SDK reports the completion again, so nothing is lost.
    return { type: "steps", steps: steps.map((op) => reachedChecked(op, headers, now, timing)) };
  }
  const noRetry = headers.get("x-inngest-no-retry");
  if ((status === 400 || status === 500) && noRetry !== null) {
    let body: unknown = text;
    try {
      body = json();
    } catch {
      // A body that is not JSON is the message itself.
    }
    const at = retryAt(headers.get("retry-after"), now);
    const retriable = noRetry !== "true";
    return {
      type: "failed",
      error: errorOf(body, `the function failed (${status})`),
      retriable,
      ...(at !== undefined && retriable ? { retryAt: at } : {}),
    };
  }
  throw new Error(`The Inngest app answered ${status}: ${text.slice(0, 300)}`);
}

/**
 * A checkpoint's body (`POST /v1/checkpoint/:runId/async`), read leniently but for its steps and
 * the ids of the call it belongs to (echoed from the call's `ctx`).
 */
export const checkpointBodySchema = z.looseObject({
  run_id: z.string().optional(),
  fn_id: z.string().min(1).max(200),
  qi_id: z.string().min(1).max(200),
  steps: z.array(opSchema).min(1).max(1_000),
});

/**
 * The steps a checkpoint reports as run, in order, as the engine records them. Only `StepRun` is
 * a result: the SDK reports planned steps as telemetry, and everything else in its answer.
 */
export function checkpointedSteps(body: z.infer<typeof checkpointBodySchema>, now: number): ReachedStep[] {
  return body.steps
    .filter((op) => op.op === "StepRun")
    .map((op) => ({
      type: "ran",
      id: op.id,
      name: label(op),
      output: op.data ?? null,
      timing: timingOf(op, now),
    }));
}

/** An op's timing as the SDK reports it (Go's interval: start and length in nanoseconds), or the moment it arrived. */
function timingOf(op: Op, now: number): Timing {
  const interval = z.looseObject({ a: z.number().min(0), b: z.number().min(0) }).safeParse(op["timing"]);
  if (!interval.success) return { startedAt: now, endedAt: now };
  const startedAt = Math.round(interval.data.a / 1e6);
  return { startedAt, endedAt: startedAt + Math.round(interval.data.b / 1e6) };
}
