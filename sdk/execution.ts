/**
 * Replays a function against its memoized steps and reports what it reached: its return value,
 * its error, or the next step(s). This is the SDK side of the execution protocol.
 */
import { NonRetriableError, RetryAfterError, StepError, StepTimeoutError } from "./errors.ts";
import type { StepwiseFunction } from "./function.ts";
import { LogLines, replayAwareLogger } from "./logger.ts";
import {
  MAX_STEP_OUTPUT_BYTES,
  serializeError,
  type ExecutionRequest,
  type ExecutionResponse,
  type ReachedStep as Reported,
} from "./protocol.ts";
import { ExecutionSession, type ReachedStep } from "./session.ts";
import { createStepTools } from "./step-tools.ts";
import { namedError } from "./error-names.ts";

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const NON_RETRIABLE = new Set([
  "NonRetriableError",
  "NonDeterminismError",
  "InvalidStepError",
  "InvalidDurationError",
  "StepError",
]);

/**
 * Microtask turns without any step call after which the handler counts as quiet. Branches
 * started together (`Promise.all`) reach their steps within a few turns of one another; a
 * timer-based wait would cost a millisecond or more on every step.
 */
const QUIET_TURNS = 64;

/** Resolves once `session` has seen no step call for {@link QUIET_TURNS} microtask turns. */
async function quiet(session: ExecutionSession, isSettled: () => boolean): Promise<void> {
  let idle = 0;
  let seen = session.calls;
  while (idle < QUIET_TURNS && !isSettled()) {
    await Promise.resolve();
    if (session.calls === seen) idle++;
    else {
      seen = session.calls;
      idle = 0;
    }
  }
}

/** JSON round trip, so the first execution sees exactly what every replay will see. */
function toJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

function classify(error: unknown): { retriable: boolean; retryAt?: number } {
  if (error instanceof RetryAfterError) return { retriable: true, retryAt: error.retryAt };
  if (error instanceof NonRetriableError || error instanceof StepError) return { retriable: false };
  const name = error instanceof Error ? error.name : "";
  return { retriable: !NON_RETRIABLE.has(name) };
}

/** Runs a step's code, failing the attempt if it outlasts the step's `timeout`. */
async function attempt(step: ReachedStep): Promise<unknown> {
  const running = Promise.resolve().then(() => step.fn?.());
  const timeoutMs = step.timeoutMs;
  if (timeoutMs === undefined) return running;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StepTimeoutError(`Step "${step.id}" did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([running, limit]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

async function runReached(step: ReachedStep): Promise<ExecutionResponse> {
  const startedAt = Date.now();
  let reported: Reported;
  try {
    const value = await attempt(step);
    let output: unknown;
    try {
      output = toJson(value);
    } catch (error) {
      throw new NonRetriableError(
        `Step "${step.id}" returned a value that is not JSON: ${serializeError(error).message}`,
      );
    }
    reported = { type: "ran", id: step.id, name: step.label, output, timing: { startedAt, endedAt: Date.now() } };
  } catch (error) {
    reported = {
      type: "errored",
      id: step.id,
      name: step.label,
      error: serializeError(error),
      ...classify(error),
      timing: { startedAt, endedAt: Date.now() },
    };
  }
  return { type: "steps", steps: [reported] };
}

function report(step: ReachedStep): Reported {
  const named = { id: step.id, name: step.label };
  if (step.op === "sleep") return { type: "sleep", ...named, until: step.until ?? Date.now() };
  if (step.op === "wait" && step.wait) return { type: "wait", ...named, wait: step.wait };
  if (step.op === "send" && step.events) return { type: "send", ...named, events: step.events };
  if (step.op === "invoke" && step.invoke) return { type: "invoke", ...named, invoke: step.invoke };
  return { type: "planned", ...named, op: "run" };
}

function finish(outcome: Outcome): ExecutionResponse {
  if (outcome.ok) {
    try {
      return { type: "completed", output: toJson(outcome.value) };
    } catch (error) {
      const message = `The function returned a value that is not JSON: ${serializeError(error).message}`;
      return { type: "failed", error: namedError("NonRetriableError", message), retriable: false };
    }
  }
  return { type: "failed", error: serializeError(outcome.error), ...classify(outcome.error) };
}

/** Most step output one batched answer carries before it is sent (see `immediateBudgetMs`). */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** The one step a response ran (successfully or not), if that is all it reports. */
function onlyExecuted(response: ExecutionResponse): Reported | undefined {
  const [step] = response.type === "steps" && response.steps.length === 1 ? response.steps : [];
  return step?.type === "ran" || step?.type === "errored" ? step : undefined;
}

/**
 * Executes `fn` for one protocol request and answers with one protocol response. With an
 * `immediateBudgetMs`, a step run immediately is followed by the next one while each call reaches
 * exactly one new `run` step and the budget lasts; the answer then reports every step that ran.
 * Whatever else the last replay reached (a sleep, parallel steps, the return) is left for the
 * engine's next call to reach again.
 */
export async function execute(fn: StepwiseFunction, request: ExecutionRequest): Promise<ExecutionResponse> {
  // A replay's log lines are printed only if its answer is sent: the last replay of a batch is
  // dropped when it reached something other than a step to run, and the engine's next call
  // replays that part again, printing its lines then (once).
  let lines = new LogLines();
  let response = await executeOnce(fn, request, lines);
  lines.goLive();
  const budget = request.immediateBudgetMs ?? 0;
  if (budget <= 0 || request.runStep !== undefined || !request.allowImmediate) return response;
  const deadline = Date.now() + budget;
  const ran: Reported[] = [];
  let steps = request.steps;
  let bytes = 0;
  for (let step = onlyExecuted(response); step?.type === "ran"; step = onlyExecuted(response)) {
    ran.push(step);
    const size = JSON.stringify(step.output ?? null).length;
    bytes += size;
    // A step over the output limit will be recorded as failed: nothing after it may run.
    if (Date.now() >= deadline || bytes >= MAX_BATCH_BYTES || size > MAX_STEP_OUTPUT_BYTES)
      return { type: "steps", steps: ran };
    steps = { ...steps, [step.id]: { status: "completed", op: "run", output: step.output } };
    lines = new LogLines();
    response = await executeOnce(fn, { ...request, steps }, lines);
  }
  if (ran.length === 0) return response;
  const last = onlyExecuted(response);
  if (!last) lines.drop();
  return { type: "steps", steps: last ? [...ran, last] : ran };
}

async function executeOnce(
  fn: StepwiseFunction,
  request: ExecutionRequest,
  lines: LogLines,
): Promise<ExecutionResponse> {
  const session = new ExecutionSession(request);
  // A call that runs one planned step logs only from inside that step: the handler code around
  // it was logged by the call that planned it.
  let inTarget = false;
  const quietNow = () => session.isReplaying() || (request.runStep !== undefined && !inTarget);
  let outcome: Outcome | undefined;
  const context = {
    event: request.event,
    events: request.events,
    step: createStepTools(session),
    runId: request.runId,
    attempt: request.attempt,
    logger: replayAwareLogger(request.runId, quietNow, lines),
  };
  const settled = Promise.resolve()
    .then(() => fn.handler(context))
    .then(
      (value) => void (outcome = { ok: true, value }),
      (error: unknown) => void (outcome = { ok: false, error }),
    );
  await Promise.race([settled, session.firstReached]);
  await quiet(session, () => outcome !== undefined);

  const mismatch = session.checkHistoryMatches();
  if (mismatch) return { type: "failed", error: serializeError(mismatch), retriable: false };
  const reached = session.reached;
  if (reached.length === 0)
    return finish(outcome ?? { ok: false, error: new Error("The handler stopped without finishing") });

  if (request.runStep !== undefined) {
    const target = reached.find((step) => step.id === request.runStep);
    if (!target || target.op !== "run") {
      const message = `Planned step "${request.runStep}" is no longer reached by the function; the code changed under a running run`;
      return { type: "failed", error: namedError("NonDeterminismError", message), retriable: false };
    }
    inTarget = true;
    lines.goLive();
    return runReached(target);
  }
  const only = reached[0];
  if (request.allowImmediate && reached.length === 1 && only?.op === "run") {
    lines.goLive();
    return runReached(only);
  }
  return { type: "steps", steps: reached.map(report) };
}
