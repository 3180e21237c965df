/**
 * Replays a function against its memoized steps and reports what it reached: its return value,
 * its error, or the next step(s). This is the SDK side of the execution protocol.
 */
import { currentStepLines, hasAsyncContext } from "./console-tap.ts";
import { prefixedConsole, StepLogRecorder } from "./step-logs.ts";
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
import { metadataRecorder } from "./metadata.ts";
import type { StepContext } from "./step-context.ts";
import { streamWriter, type Publisher } from "./realtime/publisher.ts";
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
async function attempt(step: ReachedStep, context: StepContext): Promise<unknown> {
  const running = Promise.resolve().then(() => step.fn?.(context));
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

async function runReached(step: ReachedStep, session: ExecutionSession, attemptNo: number): Promise<ExecutionResponse> {
  const startedAt = Date.now();
  let reported: Reported;
  const changes = metadataRecorder(step.id);
  const logs = new StepLogRecorder(prefixedConsole(`[run ${session.runId}] [step ${step.id}]`));
  session.running.add(logs);
  logs.open();
  try {
    const context = {
      stepId: step.id,
      attempt: attemptNo,
      metadata: changes.writer,
      logger: logs.logger,
      ...streamWriter(session.publisher),
    };
    const value = await logs.run(() => attempt(step, context));
    let output: unknown;
    try {
      output = toJson(value);
    } catch (error) {
      throw new NonRetriableError(
        `Step "${step.id}" returned a value that is not JSON: ${serializeError(error).message}`,
      );
    }
    // Only a successful attempt's metadata changes count: a retry makes them again.
    const metadata = changes.ops.length > 0 ? { metadata: [...changes.ops] } : {};
    reported = {
      type: "ran",
      id: step.id,
      name: step.label,
      output,
      ...metadata,
      ...logs.lines(),
      timing: { startedAt, endedAt: Date.now() },
    };
  } catch (error) {
    reported = {
      type: "errored",
      id: step.id,
      name: step.label,
      error: serializeError(error),
      ...classify(error),
      ...logs.lines(),
      timing: { startedAt, endedAt: Date.now() },
    };
  } finally {
    session.running.delete(logs);
    logs.close();
  }
  return { type: "steps", steps: [reported] };
}

function report(step: ReachedStep): Reported {
  const named = { id: step.id, name: step.label };
  if (step.op === "sleep") return { type: "sleep", ...named, until: step.until ?? Date.now() };
  if (step.op === "wait" && step.token) return { type: "token-wait", ...named, token: step.token };
  if (step.op === "wait" && step.wait) return { type: "wait", ...named, wait: step.wait };
  if (step.op === "token" && step.token) return { type: "token", ...named, token: step.token };
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
 * Live execution (functions embedded in the engine's own Worker): each step that ran is recorded
 * by `ran` as it finishes, and the same handler goes on to its next step, with no replay, while
 * `proceed` allows. The engine's journal write happens inside `ran`, before the next step's code
 * can send anything out.
 */
/**
 * What became of a step {@link LiveHooks.ran} was given: `recorded` as completed, so the handler
 * goes on; `hold`: not recorded yet (a result the engine must store first), so the call answers
 * with it; `stop`: the engine took it but the run does not go on with it (failed over a limit,
 * malformed, or the run ended), so it is neither gone on from nor answered again.
 */
export type RanOutcome = "recorded" | "hold" | "stop";

export interface LiveHooks {
  /** Records a step that ran, before the handler is let go on. */
  ran(step: Reported): RanOutcome;
  /** Whether the handler may go on (false once the run ended or its drive spent its budget). */
  proceed(): boolean;
  /**
   * Planned steps of {@link Execution.runMany} to start now, asked each time one of its steps
   * ends: the engine's sliding window, so a freed concurrency slot is used at once, in the same
   * call, instead of when the whole batch is done. Ids this call did not reach are ignored.
   */
  more?(): string[];
}

/**
 * Executes `fn` for one protocol request and answers with one protocol response. After a step
 * run immediately, the same handler may go on to its next step with that step's output, and the
 * next, while each round reaches exactly one new `run` step:
 * - with `live`, each step is recorded through it as it finishes, and the answer is whatever the
 *   last round reached (a sleep, parallel steps, the return, or a step that failed);
 * - with an `immediateBudgetMs` (remote apps), until the budget is spent; the answer reports
 *   every step that ran, and whatever else the last round reached is left for the engine's next
 *   call to reach again.
 */
export async function execute(
  fn: StepwiseFunction,
  request: ExecutionRequest,
  live?: LiveHooks,
  publisher?: Publisher,
): Promise<ExecutionResponse> {
  // A replay's log lines are printed only if its answer is sent: the last round of a batch is
  // dropped when it reached something other than a step to run, and the engine's next call
  // reaches that part again, printing its lines then (once).
  const lines = new LogLines();
  const execution = new Execution(fn, request, lines, publisher);
  if (request.runSteps !== undefined) {
    if (live) return execution.runMany(request.runSteps, live);
    // A remote app's batch: every outcome in the answer, in the order the steps ended.
    const ended: Reported[] = [];
    const answer = await execution.runMany(request.runSteps, {
      ran: (step) => (ended.push(step), "recorded"),
      proceed: () => true,
    });
    return answer.type === "steps" ? { type: "steps", steps: [...ended, ...answer.steps] } : answer;
  }
  let response = await execution.first();
  lines.goLive();
  const budget = request.immediateBudgetMs ?? 0;
  if ((!live && budget <= 0) || request.runStep !== undefined || !request.allowImmediate) return response;
  const deadline = Date.now() + budget;
  const ran: Reported[] = [];
  let bytes = 0;
  for (let step = onlyExecuted(response); step?.type === "ran"; step = onlyExecuted(response)) {
    if (live) {
      // Told to stop, the step is the answer, recorded by the engine like any other.
      if (!live.proceed()) break;
      // A step the engine did not record as completed (over a limit, its output size included)
      // ends the call: the handler must not go on with an output the history does not hold.
      if (live.ran(step) !== "recorded") return response;
    } else {
      // UTF-8 bytes, as the engine measures the limit.
      const size = new TextEncoder().encode(JSON.stringify(step.output ?? null)).length;
      // A step over the output limit will be recorded as failed: nothing after it may run.
      if (size > MAX_STEP_OUTPUT_BYTES) break;
      ran.push(step);
      bytes += size;
      if (Date.now() >= deadline || bytes >= MAX_BATCH_BYTES) return { type: "steps", steps: ran };
    }
    lines.startRound();
    response = await execution.next(step.output);
  }
  if (live) {
    // Lines of a round that reached a sleep, a wait or parallel steps are logged again when the
    // next call reaches them; an ending is not reached again, so its lines are kept.
    if (response.type === "steps" && !onlyExecuted(response)) lines.drop();
    else lines.goLive();
    return response;
  }
  if (ran.length === 0) return response;
  const last = onlyExecuted(response);
  if (!last) lines.drop();
  return { type: "steps", steps: last ? [...ran, last] : ran };
}

/** One handler invocation: its first replay, then rounds that go on from the step it just ran. */
class Execution {
  private readonly session: ExecutionSession;
  private outcome: Outcome | undefined;
  private readonly settled: Promise<void>;
  /** The run step the last round executed, which the next round resolves. */
  private executed: ReachedStep | undefined;
  private inTarget = false;

  constructor(
    fn: StepwiseFunction,
    private readonly request: ExecutionRequest,
    private readonly lines: LogLines,
    publisher?: Publisher,
  ) {
    this.session = new ExecutionSession(request, publisher);
    const session = this.session;
    // A call that runs planned steps logs only from inside them: the handler code around them
    // was logged by the call that planned them.
    const planned = request.runStep !== undefined || request.runSteps !== undefined;
    const quietNow = () => session.isReplaying() || (planned && !this.inTarget);
    const context = {
      event: request.event,
      events: request.events,
      step: createStepTools(session),
      runId: request.runId,
      attempt: request.attempt,
      ...(request.traceparent ? { traceparent: request.traceparent } : {}),
      // A line logged in a step's code is that step's too: by async context where the runtime has
      // it, else while that step is the only one running (with several, whose is not known).
      logger: replayAwareLogger(request.runId, quietNow, lines, (level, args) => {
        if (hasAsyncContext()) return void currentStepLines()?.add(level, args, false);
        const [only] = session.running;
        if (session.running.size === 1) only?.add(level, args, false);
      }),
    };
    this.settled = Promise.resolve()
      .then(() => fn.handler(context))
      .then(
        (value) => void (this.outcome = { ok: true, value }),
        (error: unknown) => void (this.outcome = { ok: false, error }),
      );
  }

  /** The first round: the replay of the memoized steps up to what the handler reaches new. */
  async first(): Promise<ExecutionResponse> {
    await this.untilQuiet();
    const mismatch = this.session.checkHistoryMatches();
    if (mismatch) return { type: "failed", error: serializeError(mismatch), retriable: false };
    const reached = this.session.reached;
    if (reached.length > 0 && this.request.runStep !== undefined) {
      const target = reached.find((step) => step.id === this.request.runStep);
      if (!target || target.op !== "run") {
        const message = `Planned step "${this.request.runStep}" is no longer reached by the function; the code changed under a running run`;
        return { type: "failed", error: namedError("NonDeterminismError", message), retriable: false };
      }
      this.inTarget = true;
      this.lines.goLive();
      return runReached(target, this.session, this.request.attempt);
    }
    return this.answer();
  }

  /**
   * Runs the planned steps `ids` together: one replay reaches them all, their code runs at once,
   * and each outcome is recorded through `live` as it ends, but the last, which is the answer.
   * As each ends, `live.more()` may name further planned steps to start in the same call.
   */
  async runMany(ids: string[], live: LiveHooks): Promise<ExecutionResponse> {
    await this.untilQuiet();
    const mismatch = this.session.checkHistoryMatches();
    if (mismatch) return { type: "failed", error: serializeError(mismatch), retriable: false };
    const byId = new Map(this.session.reached.map((step) => [step.id, step]));
    const targets = ids.map((id) => byId.get(id));
    const lost = ids.find((_, index) => targets[index]?.op !== "run");
    if (lost !== undefined) {
      const message = `Planned step "${lost}" is no longer reached by the function; the code changed under a running run`;
      return { type: "failed", error: namedError("NonDeterminismError", message), retriable: false };
    }
    this.inTarget = true;
    this.lines.goLive();
    const started = new Set(ids);
    const calls: Promise<void>[] = [];
    let running = 0;
    let last: ExecutionResponse | undefined;
    const held: Reported[] = [];
    const start = (target: ReachedStep): void => {
      running++;
      calls.push(
        runReached(target, this.session, 0).then((response) => {
          running--;
          const [outcome] = response.type === "steps" ? response.steps : [];
          const next: ReachedStep[] = [];
          for (const id of outcome ? (live.more?.() ?? []) : []) {
            const step = byId.get(id);
            if (step?.op !== "run" || started.has(id)) continue;
            started.add(id);
            next.push(step);
          }
          // The step that ends with nothing left to run is the answer; every other is recorded now,
          // or, when the engine cannot take it as it ends (a result it must store first), answered too.
          if (outcome && (running > 0 || next.length > 0)) {
            if (live.ran(outcome) === "hold") held.push(outcome);
          } else last = response;
          next.forEach(start);
        }),
      );
    };
    (targets as ReachedStep[]).forEach(start);
    // Every step ends before the call does, even when recording one failed: none may go on
    // recording after the drive that asked for them has stopped. Steps started as others ended
    // join the list while it is awaited, so it is awaited until nothing new was added.
    let failed: PromiseRejectedResult | undefined;
    for (let awaited = 0; awaited < calls.length;) {
      const round = calls.slice(awaited);
      awaited = calls.length;
      for (const result of await Promise.allSettled(round)) if (result.status === "rejected") failed ??= result;
    }
    if (failed) throw failed.reason;
    const answer: ExecutionResponse = last ?? {
      type: "failed",
      error: namedError("ProtocolError", "no planned step ran"),
      retriable: true,
    };
    return held.length > 0 && answer.type === "steps" ? { type: "steps", steps: [...held, ...answer.steps] } : answer;
  }

  /** A further round: the same handler goes on with `output`, the last executed step's. */
  async next(output: unknown): Promise<ExecutionResponse> {
    const step = this.executed;
    if (!step) throw new Error("Execution.next without a step executed");
    this.executed = undefined;
    this.session.continueWith(step, output);
    await this.untilQuiet();
    return this.answer();
  }

  private async untilQuiet(): Promise<void> {
    await Promise.race([this.settled, this.session.firstReached]);
    await quiet(this.session, () => this.outcome !== undefined);
  }

  /** What the round reached: the return, one step run now, or the steps for the engine to plan. */
  private answer(): Promise<ExecutionResponse> | ExecutionResponse {
    const reached = this.session.reached;
    if (reached.length === 0)
      return finish(this.outcome ?? { ok: false, error: new Error("The handler stopped without finishing") });
    const only = reached[0];
    if (this.request.allowImmediate && reached.length === 1 && only?.op === "run") {
      this.executed = only;
      this.lines.goLive();
      // A step run as soon as it is reached is new: its first attempt.
      return runReached(only, this.session, 0);
    }
    return { type: "steps", steps: reached.map(report) };
  }
}
