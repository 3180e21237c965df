/**
 * The state of one execution of a handler: which memoized steps it replayed, which new steps it
 * reached, and any sign that the code no longer matches the run's history.
 */
import type { StepLogRecorder } from "./step-logs.ts";
import { NonDeterminismError, StepError } from "./errors.ts";
import type { ExecutionRequest, InvokeSpec, StepOp, WaitSpec } from "./protocol.ts";
import type { TokenSpec } from "./wait-tokens.ts";
import type { StepContext } from "./step-context.ts";
import { noPublisher, type Publisher } from "./realtime/publisher.ts";

/** A step the handler reached that has no recorded outcome yet. */
export interface ReachedStep {
  id: string;
  label: string;
  op: StepOp;
  fn?: (context: StepContext) => unknown;
  until?: number;
  wait?: WaitSpec;
  events?: Record<string, unknown>[];
  invoke?: InvokeSpec;
  /** A token to create (`op: "token"`), or a token to wait for (`op: "wait"`). */
  token?: TokenSpec;
  /** A run step's own time limit: an attempt that takes longer fails with StepTimeoutError. */
  timeoutMs?: number;
  /** Resolves the handler's pending call with the step's output, so the same handler goes on (live execution). */
  resolve: (output: unknown) => void;
}

type Reach = Omit<ReachedStep, "id" | "resolve"> & { name: string };

const never = (): Promise<never> => new Promise<never>(() => undefined);

/** Tracks one replay of a handler against a request's memoized steps. */
export class ExecutionSession {
  readonly reached: ReachedStep[] = [];
  readonly visited = new Set<string>();
  violation: NonDeterminismError | undefined;
  /** The log recorders of the steps running now: the function's `logger` writes to a lone one. */
  readonly running = new Set<StepLogRecorder>();
  /** Step calls so far, memoized or new; the execution watches it to know the handler is quiet. */
  calls = 0;
  private readonly counters = new Map<string, number>();
  private readonly memoCount: number;
  private signalReached: () => void = () => undefined;
  /** Resolves when the first new step is reached (or the history is found not to match). */
  firstReached = new Promise<void>((resolve) => (this.signalReached = resolve));

  constructor(
    private readonly request: ExecutionRequest,
    /** Where the function's realtime messages go. */
    readonly publisher: Publisher = noPublisher,
  ) {
    this.memoCount = Object.keys(request.steps).length;
  }

  get runId(): string {
    return this.request.runId;
  }

  /** True while the handler is still walking through steps that already ran. */
  isReplaying(): boolean {
    return this.visited.size < this.memoCount;
  }

  /** A repeated name gets a counter, in call order, so ids are the same on every replay. */
  private nextId(name: string): string {
    const seen = this.counters.get(name) ?? 0;
    this.counters.set(name, seen + 1);
    return seen === 0 ? name : `${name}:${seen}`;
  }

  /** Answers a step call from memory, or records it as reached and leaves it pending. */
  reach(step: Reach): Promise<unknown> {
    this.calls++;
    const id = this.nextId(step.name);
    const memo = this.request.steps[id];
    if (memo) {
      this.visited.add(id);
      if (memo.op !== step.op) {
        this.violation ??= new NonDeterminismError(
          `Step "${id}" was a "${memo.op}" step in this run's history but the code now calls "${step.op}"; the code changed under a running run`,
        );
        this.signalReached();
        return never();
      }
      return memo.status === "completed" ? Promise.resolve(memo.output) : Promise.reject(new StepError(id, memo.error));
    }
    const { name: _name, ...reached } = step;
    // Pending until the execution goes on with this step's output, which most never do: a
    // replay reports what it reached and is dropped.
    let resolve: (output: unknown) => void = () => undefined;
    const pending = new Promise<unknown>((settle) => (resolve = settle));
    this.reached.push({ id, ...reached, resolve });
    this.signalReached();
    return pending;
  }

  /**
   * Goes on with the same handler: `step`, the one step it reached, ran with `output`; the
   * steps it reaches next are reported as a new round. No replay: the handler never stopped.
   */
  continueWith(step: ReachedStep, output: unknown): void {
    // A step another branch reached while this one ran stays reached: the next round reports it.
    const index = this.reached.indexOf(step);
    if (index >= 0) this.reached.splice(index, 1);
    this.firstReached = new Promise<void>((resolve) => (this.signalReached = resolve));
    if (this.reached.length > 0) this.signalReached();
    step.resolve(output);
  }

  /** Memoized steps this replay did not reach: the code no longer matches the history. */
  checkHistoryMatches(): NonDeterminismError | undefined {
    if (this.violation) return this.violation;
    if (this.visited.size === this.memoCount) return undefined;
    const missing = Object.keys(this.request.steps).filter((id) => !this.visited.has(id));
    const instead = this.reached[0] ? `; it reached "${this.reached[0].id}" instead` : "";
    return new NonDeterminismError(
      `This run's history has step(s) ${missing.map((id) => `"${id}"`).join(", ")} that the function no longer reaches${instead}; the code changed under a running run`,
    );
  }
}
