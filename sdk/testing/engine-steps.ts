/**
 * One attempt of one step in the test engine: a mock's answer, or what Stepwise itself would do
 * with a step it carries out (a sleep ends, a wait times out, a send gets ids). Outputs take the
 * shape the real engine memoizes, so the function replays exactly as it would in production.
 */
import { z } from "zod";
import { NonRetriableError, StepError } from "../errors.ts";
import { compileExpression, holds } from "../expression.ts";
import { runEventSchema, serializeError, type ReachedStep, type RunEvent, type SerializedError } from "../protocol.ts";
import { TestEngineError, type StepCall, type StepMock, type TestStep } from "./engine-types.ts";
import { namedError } from "../error-names.ts";
import { tokenPath } from "../wait-tokens.ts";

/** A step the SDK reported as reached but not run: what the engine carries out. */
export type PendingStep = Exclude<ReachedStep, { type: "ran" } | { type: "errored" }>;

/** Step record fields an attempt adds (a wait's timeout, a send's ids…). */
export type StepDetails = Pick<TestStep, "until" | "wait" | "timedOut" | "unmatched" | "events" | "invoke">;

export type AttemptOutcome =
  { ok: true; output: unknown; details: StepDetails } | { ok: false; error: SerializedError; retriable: boolean };

/** What an attempt needs from the run: its id and first event, and where sent events go. */
export interface AttemptContext {
  runId: string;
  event: RunEvent;
  sent: RunEvent[];
  now: () => number;
}

// The SDK's own rule (execution.ts): these errors say that another attempt cannot help.
const FINAL = new Set([
  "NonRetriableError",
  "NonDeterminismError",
  "InvalidStepError",
  "InvalidDurationError",
  "StepError",
]);

/** Whether another attempt may succeed after `error`. */
function isRetriable(error: unknown): boolean {
  if (error instanceof NonRetriableError || error instanceof StepError) return false;
  return !(error instanceof Error && FINAL.has(error.name));
}

const OP = {
  planned: "run",
  sleep: "sleep",
  wait: "wait",
  send: "send",
  invoke: "invoke",
  token: "token",
  "token-wait": "wait",
} as const;

/** The op of a reached step, as history and mocks name it. */
export const opOf = (step: PendingStep): StepCall["op"] => OP[step.type];

/** What a mock's handler is told about the attempt, and what the step record keeps of it. */
function callOf(step: PendingStep, attempt: number): StepCall {
  const call: StepCall = { id: step.id, name: step.name, op: opOf(step), attempt };
  if (step.type === "sleep") call.until = step.until;
  if (step.type === "wait") call.wait = step.wait;
  if (step.type === "send") call.events = step.events;
  if (step.type === "invoke") call.invoke = step.invoke;
  return call;
}

/** JSON round trip, as every stored output takes: a Date becomes a string, undefined null. */
function toJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

/** A mocked or missing event turned into the event a wait resumes with, checked like any event. */
function arrivedEvent(
  step: Extract<PendingStep, { type: "wait" }>,
  value: unknown,
  index: number,
  ctx: AttemptContext,
): RunEvent {
  const given = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : { data: value };
  const parsed = runEventSchema.safeParse({
    name: step.wait.event,
    data: {},
    id: `${ctx.runId}:${step.id}:event:${index}`,
    ts: ctx.now(),
    ...given,
  });
  if (!parsed.success)
    throw new TestEngineError(
      `The mock of step "${step.id}" returned an event that is not one: ${z.prettifyError(parsed.error)}`,
    );
  return parsed.data;
}

/** A wait's output from its mock's value: the event if it matches the wait (name and condition), else a timeout. */
function waitOutput(step: Extract<PendingStep, { type: "wait" }>, value: unknown, ctx: AttemptContext): AttemptOutcome {
  const { wait } = step;
  const parts = 1 + (wait.more?.length ?? 0);
  const timedOut = (unmatched?: RunEvent): AttemptOutcome => ({
    ok: true,
    output: wait.mode === "all" ? Array.from({ length: parts }, () => null) : null,
    details: { wait, timedOut: true, ...(unmatched ? { unmatched } : {}) },
  });
  if (value === null || value === undefined) return timedOut();
  // A multi-event wait's answer is taken as given: which part an event is for is the mock's to say.
  if (parts > 1) {
    const events = Array.isArray(value)
      ? value.map((v, i) => (v === null ? null : arrivedEvent(step, v, i, ctx)))
      : arrivedEvent(step, value, 0, ctx);
    return { ok: true, output: events, details: { wait } };
  }
  const event = arrivedEvent(step, value, 0, ctx);
  const taken =
    event.name === wait.event &&
    (wait.if === undefined || holds(compileExpression(wait.if), { event: ctx.event, async: event }));
  return taken ? { ok: true, output: event, details: { wait } } : timedOut(event);
}

/** A send step carried out in memory: each event gets an id (its own, or one from the run and step). */
function sendOutput(step: Extract<PendingStep, { type: "send" }>, ctx: AttemptContext): AttemptOutcome {
  const events = step.events.map((event, index) => ({
    ...event,
    id: typeof event.id === "string" ? event.id : `${ctx.runId}:${step.id}:${index}`,
  }));
  for (const event of events) {
    const parsed = runEventSchema.safeParse({ data: {}, ts: ctx.now(), ...event });
    if (!parsed.success)
      return {
        ok: false,
        error: namedError("InvalidEventError", `step.sendEvent("${step.id}"): ${z.prettifyError(parsed.error)}`),
        retriable: false,
      };
    ctx.sent.push(parsed.data);
  }
  return { ok: true, output: { ids: events.map((event) => event.id) }, details: { events } };
}

/** A token as the engine would create it: its random part is zeros here, so tests see the same id each run. */
function tokenOutput(step: Extract<PendingStep, { type: "token" }>, ctx: AttemptContext): AttemptOutcome {
  const id = `wt_${"0".repeat(32)}_${ctx.runId}`;
  const output = { id, url: tokenPath(id), expiresAt: new Date(step.token.until).toISOString() };
  return { ok: true, output, details: { until: step.token.until } };
}

/** A token wait's output: the mock's value as the completion's body, or null (the token expired). */
function tokenWaitOutput(
  step: Extract<PendingStep, { type: "token-wait" }>,
  value: unknown,
  ctx: AttemptContext,
): AttemptOutcome {
  const details = { until: step.token.until, ...(value === null ? { timedOut: true } : {}) };
  if (value === null) return { ok: true, output: null, details };
  const tokenId = step.token.tokenId ?? `wt_${"0".repeat(32)}_${ctx.runId}`;
  return { ok: true, output: { tokenId, data: value, completedAt: new Date(ctx.now()).toISOString() }, details };
}

/** What Stepwise does with an unmocked step it carries out; run steps are not handled here. */
export function defaultAttempt(step: PendingStep, ctx: AttemptContext): AttemptOutcome {
  switch (step.type) {
    case "sleep":
      return { ok: true, output: null, details: { until: step.until } };
    case "wait":
      return waitOutput(step, null, ctx);
    case "token":
      return tokenOutput(step, ctx);
    case "token-wait":
      return tokenWaitOutput(step, null, ctx);
    case "send":
      return sendOutput(step, ctx);
    case "invoke": {
      const targets = step.invoke.children.map((child) => `"${child.functionId}"`).join(", ");
      throw new TestEngineError(
        `Step "${step.id}" invokes ${targets}, which the test engine cannot run: mock it with { id: "${step.id}", handler: () => output }`,
      );
    }
    case "planned":
      throw new TestEngineError(`Step "${step.id}" is a run step: its code runs through the function`);
  }
}

/** One attempt answered by `mock`. */
export async function mockAttempt(
  mock: StepMock,
  step: PendingStep,
  attempt: number,
  ctx: AttemptContext,
): Promise<AttemptOutcome> {
  let returned: unknown;
  try {
    returned = await mock.handler(callOf(step, attempt));
  } catch (error) {
    if (error instanceof TestEngineError) throw error;
    return { ok: false, error: serializeError(error), retriable: isRetriable(error) };
  }
  let value: unknown;
  try {
    value = toJson(returned);
  } catch (error) {
    return {
      ok: false,
      error: namedError(
        "NonRetriableError",
        `The mock of step "${step.id}" returned a value that is not JSON: ${serializeError(error).message}`,
      ),
      retriable: false,
    };
  }
  switch (step.type) {
    case "sleep":
      return { ok: true, output: null, details: { until: step.until } };
    case "wait":
      return waitOutput(step, value, ctx);
    case "token":
      return { ok: true, output: value, details: { until: step.token.until } };
    case "token-wait":
      return tokenWaitOutput(step, value ?? null, ctx);
    case "send":
      return { ok: true, output: value, details: { events: step.events } };
    case "invoke":
      return { ok: true, output: value, details: { invoke: step.invoke } };
    case "planned":
      return { ok: true, output: value, details: {} };
  }
}
