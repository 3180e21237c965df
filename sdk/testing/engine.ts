/**
 * TestEngine: runs one function's steps in memory, in plain Node or vitest, without workerd.
 * It is a loop around the SDK's own executor, playing the engine's part: each turn replays the
 * handler against the steps recorded so far, as Stepwise does, then carries out what it reached
 * (a step's code or its mock, a sleep ended at once, a wait answered by its mock) and records the
 * outcome in the shape Stepwise memoizes. Failed attempts are retried at once, with no backoff.
 */
import { z } from "zod";
import { execute } from "../execution.ts";
import type { StepwiseFunction } from "../function.ts";
import { INVOKED_EVENT } from "../system-events.ts";
import { applyMetadata, type Metadata } from "../metadata.ts";
import { namedError } from "../error-names.ts";
import type { Publisher } from "../realtime/publisher.ts";
import type { PublishedMessage } from "./engine-types.ts";
import {
  PROTOCOL_VERSION,
  runEventSchema,
  type ExecutionRequest,
  type MemoStep,
  type RunEvent,
  type SerializedError,
} from "../protocol.ts";
import {
  defaultAttempt,
  mockAttempt,
  opOf,
  type AttemptContext,
  type AttemptOutcome,
  type PendingStep,
} from "./engine-steps.ts";
import {
  TestEngineError,
  type StepMock,
  type TestContext,
  type TestEngineOptions,
  type TestExecution,
  type TestStep,
  type TestStepExecution,
} from "./engine-types.ts";

/** The event a directly invoked run receives (as `POST /v1/functions/:id/invoke` gives it). */

/** One `execute()`: what the run has recorded so far. */
interface Run extends AttemptContext {
  events: RunEvent[];
  mocks: Map<string, StepMock>;
  memo: Record<string, MemoStep>;
  steps: TestStep[];
  attempt: number;
  executions: number;
  maxExecutions: number;
  ctx: TestContext;
  /** The run's metadata, as its steps' successful attempts changed it. */
  metadata: Metadata;
  /** What the function published to realtime streams, in order (a repeated id kept once). */
  published: PublishedMessage[];
  publisher: Publisher;
}

/** A step's end, or the function's failure found while running it (its code no longer matches). */
type StepEnd = { step: TestStep } | { abort: SerializedError };

function runEvents(given: TestEngineOptions["events"], runId: string, now: number): RunEvent[] {
  const list = given?.length ? given : [{ name: INVOKED_EVENT, data: {} }];
  return list.map((event, index) => {
    const parsed = runEventSchema.safeParse({
      data: {},
      id: `${runId}:event:${index}`,
      ts: now,
      ...JSON.parse(JSON.stringify(event)),
    });
    if (!parsed.success)
      throw new TestEngineError(`Test event ${index} is not an event: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  });
}

/**
 * Runs one function in memory: `execute()` to its end, or `executeStep(id)` up to one step.
 *
 * @example
 * ```ts
 * import { TestEngine } from "stepwise/testing";
 *
 * const engine = new TestEngine(charge, { events: [{ name: "order.placed", data: { orderId: "o-1" } }] });
 * const { result, state } = await engine.execute({ steps: [{ id: "charge card", handler: () => ({ ok: true }) }] });
 * expect(result).toEqual({ ok: true });
 * ```
 */
export class TestEngine {
  /** `options` apply to every execution; each `execute(options)` may add mocks or replace the rest. */
  constructor(
    readonly fn: StepwiseFunction,
    private readonly options: TestEngineOptions = {},
  ) {}

  /**
   * Runs the function to its end: completed, or failed once its retries are spent. Rejects with
   * a {@link TestEngineError} when the test cannot go on (an invoke without a mock, no end).
   */
  execute(options: TestEngineOptions = {}): Promise<TestExecution> {
    return this.drive(this.start(options));
  }

  /**
   * Runs the function until step `stepId` has ended, and stops there (`status` is then "paused");
   * steps reached together with it (`Promise.all`) end too. Rejects with a
   * {@link TestEngineError} if the function ends without reaching it.
   */
  async executeStep(stepId: string, options: TestEngineOptions = {}): Promise<TestStepExecution> {
    const run = this.start(options);
    const execution = await this.drive(run, stepId);
    const step = execution.state[stepId];
    if (!step)
      throw new TestEngineError(
        `The function ${execution.status} without reaching step "${stepId}" (steps: ${execution.steps.map((s) => s.id).join(", ") || "none"})`,
      );
    return { ...execution, step };
  }

  private start(options: TestEngineOptions): Run {
    const merged = { ...this.options, ...options };
    const runId = merged.runId ?? "test-run";
    const events = runEvents(merged.events, runId, Date.now());
    const mocks = new Map<string, StepMock>();
    // A mock given to execute() wins over the engine's own for the same step.
    for (const mock of [...(options.steps ?? []), ...(this.options.steps ?? [])])
      if (!mocks.has(mock.id)) mocks.set(mock.id, mock);
    const [event] = events as [RunEvent, ...RunEvent[]];
    const ctx = { event, events, runId, attempt: 0 };
    const published: PublishedMessage[] = [];
    // Streams in memory: each message gets the next seq of its stream; a repeated id, its first.
    const publisher: Publisher = {
      publish: async (stream, messages) => ({
        seqs: messages.map((message) => {
          const known = published.find((p) => p.stream === stream && message.id !== undefined && p.id === message.id);
          if (known) return known.seq;
          const seq = published.filter((p) => p.stream === stream).length + 1;
          published.push({ stream, seq, data: message.data ?? null, ...(message.id ? { id: message.id } : {}) });
          return seq;
        }),
      }),
    };
    return {
      runId,
      event,
      events,
      mocks,
      memo: {},
      steps: [],
      sent: [],
      published,
      publisher,
      attempt: 0,
      executions: 0,
      maxExecutions: merged.maxExecutions ?? 1_000,
      metadata: {},
      ctx,
      now: Date.now,
    };
  }

  /** One replay of the handler; with `runStep`, it also runs that step's code (attempt `attempt`). */
  private replay(run: Run, runStep: string | undefined, attempt: number): ReturnType<typeof execute> {
    if (++run.executions > run.maxExecutions)
      throw new TestEngineError(`Function "${this.fn.id}" did not end within ${run.maxExecutions} executions`);
    const request: ExecutionRequest = {
      version: PROTOCOL_VERSION,
      functionId: this.fn.id,
      runId: run.runId,
      attempt,
      event: run.event,
      events: run.events,
      steps: { ...run.memo },
      // Never let the SDK run a new step by itself: the engine decides whether its mock runs instead.
      allowImmediate: false,
      ...(runStep !== undefined ? { runStep } : {}),
    };
    run.ctx = { event: run.event, events: run.events, runId: run.runId, attempt };
    return execute(this.fn, request, undefined, run.publisher);
  }

  private async drive(run: Run, stopAt?: string): Promise<TestExecution> {
    for (;;) {
      const response = await this.replay(run, undefined, run.attempt);
      if (response.type === "completed") return this.outcome(run, { status: "completed", result: response.output });
      if (response.type === "failed") {
        if (response.retriable && run.attempt < this.fn.config.retries) {
          run.attempt++;
          continue;
        }
        return this.outcome(run, { status: "failed", error: response.error });
      }
      const pending = response.steps.map((step) => {
        if (step.type === "ran" || step.type === "errored")
          throw new TestEngineError(`Step "${step.id}" ran without being asked to`);
        return step;
      });
      // Steps reached together (Promise.all) are carried out together, as Stepwise does.
      const ended = await Promise.all(pending.map((step) => this.settle(run, step)));
      for (const end of ended) {
        if ("abort" in end) return this.outcome(run, { status: "failed", error: end.abort });
        run.steps.push(end.step);
        run.memo[end.step.id] =
          end.step.status === "completed"
            ? { status: "completed", op: end.step.op, output: end.step.output }
            : { status: "failed", op: end.step.op, error: end.step.error! };
      }
      if (stopAt !== undefined && run.memo[stopAt]) return this.outcome(run, { status: "paused" });
    }
  }

  /** Attempts a step until it completes, fails for good, or has no retries left. */
  private async settle(run: Run, step: PendingStep): Promise<StepEnd> {
    const mock = run.mocks.get(step.id);
    const errors: SerializedError[] = [];
    for (let attempt = 0; ; attempt++) {
      const outcome = mock
        ? await mockAttempt(mock, step, attempt, run)
        : step.type === "planned"
          ? await this.runCode(run, step.id, attempt)
          : defaultAttempt(step, run);
      if ("abort" in outcome) return outcome;
      const base = { id: step.id, name: step.name, op: opOf(step), mocked: mock !== undefined };
      if (outcome.ok)
        return {
          step: {
            ...base,
            status: "completed",
            output: outcome.output,
            attempts: attempt + 1,
            errors,
            ...outcome.details,
          },
        };
      errors.push(outcome.error);
      if (!outcome.retriable || attempt >= this.fn.config.retries)
        return { step: { ...base, status: "failed", error: outcome.error, attempts: attempt + 1, errors } };
    }
  }

  /** Runs a step's real code through the function, as Stepwise asks for a planned step. */
  private async runCode(
    run: Run,
    stepId: string,
    attempt: number,
  ): Promise<AttemptOutcome | { abort: SerializedError }> {
    const response = await this.replay(run, stepId, attempt);
    if (response.type === "failed") return { abort: response.error };
    const [step] = response.type === "steps" ? response.steps : [];
    if (step?.type === "ran") {
      const applied = applyMetadata(run.metadata, step.metadata ?? []);
      if (!applied.ok)
        return {
          ok: false,
          error: namedError("InvalidMetadataError", `Step "${stepId}": ${applied.error}`),
          retriable: false,
        };
      run.metadata = applied.value;
      return { ok: true, output: step.output, details: {} };
    }
    if (step?.type === "errored") return { ok: false, error: step.error, retriable: step.retriable };
    throw new TestEngineError(
      `Step "${stepId}" was asked to run but the function answered ${JSON.stringify(response)}`,
    );
  }

  private outcome(run: Run, end: Pick<TestExecution, "status" | "result" | "error">): TestExecution {
    const state = Object.fromEntries(run.steps.map((step) => [step.id, step]));
    return {
      ...end,
      steps: run.steps,
      state,
      sent: run.sent,
      published: run.published,
      attempts: run.attempt + 1,
      ctx: run.ctx,
      metadata: run.metadata,
    };
  }
}
