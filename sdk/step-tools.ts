/**
 * The `step` object handed to functions. Each call is either answered from the run's memoized
 * history or recorded as reached, for the execution to run or report.
 */
import { toMs, type Duration } from "./duration.ts";
import { InvalidStepError } from "./errors.ts";
import {
  multiWaitSpec,
  sendable,
  waitSpec,
  type WaitForAllOptions,
  type WaitForAnyOptions,
  type WaitForEventOptions,
  type WaitForEventsOptions,
  type WaitResult,
} from "./event-steps.ts";
import { invokeManySpec, invokeSpec, type InvokeManyResult, type InvokeOptions } from "./invoke-steps.ts";
import type { SendableEvent } from "./send.ts";
import type { StepContext } from "./step-context.ts";
import { checkOutgoing } from "./realtime/publisher.ts";
import {
  newTokenSpec,
  tokenWaitSpec,
  type CreateTokenOptions,
  type TokenCompletion,
  type WaitToken,
} from "./wait-tokens.ts";
import type { ExecutionSession } from "./session.ts";

/** A step's id, or options naming it; `name` is a label for people and defaults to the id. */
export type StepId = string | { id: string; name?: string };

/** Longest sleep a step may ask for. */
const MAX_SLEEP_MS = 10 * 365 * 86_400_000;

/** The step tools available to a handler. */
export interface StepTools {
  /**
   * Runs `fn` once for this run; its JSON result is stored and returned on every replay. With
   * `timeout`, an attempt that takes longer fails (and is retried like any failure). `fn` gets the
   * step's context: `metadata` changes the run's metadata when the attempt succeeds.
   */
  run<T>(
    id: StepId,
    fn: (context: StepContext) => T | Promise<T>,
    options?: { timeout?: Duration },
  ): Promise<Awaited<T>>;
  /** Pauses the run for a duration (`"30s"`, `"3 days"`, milliseconds); costs nothing while asleep. */
  sleep(id: StepId, duration: Duration): Promise<void>;
  /** Pauses the run until a point in time; a time in the past continues at once. */
  sleepUntil(id: StepId, until: Date | string | number): Promise<void>;
  /**
   * Waits for an event (`match` a path equal in both, or an `if` CEL condition), up to `timeout`;
   * resolves with the event, or null when the timeout passes. Costs nothing while waiting.
   */
  waitForEvent<TData = Record<string, unknown>>(id: StepId, options: WaitForEventOptions): Promise<WaitResult<TData>>;
  /**
   * Waits for several events at once, each with its own condition: `all` resolves with every
   * event in the order given once each has arrived (null for any still missing at the timeout);
   * `any` resolves with the first to arrive, or null.
   */
  waitForEvents<TData = Record<string, unknown>>(id: StepId, options: WaitForAllOptions): Promise<WaitResult<TData>[]>;
  waitForEvents<TData = Record<string, unknown>>(id: StepId, options: WaitForAnyOptions): Promise<WaitResult<TData>>;
  /** Sends events once (a replay or retry does not send again: their ids derive from the run and step). */
  sendEvent(id: StepId, events: SendableEvent | SendableEvent[]): Promise<{ ids: string[] }>;
  /**
   * Starts a child run of another function and resolves with its output. The child's failure is
   * this step's error, retried (with a new child) by this function's policy.
   */
  invoke<T = unknown>(id: StepId, options: InvokeOptions & { timeout?: Duration }): Promise<T>;
  /** Starts child runs together and resolves, once all have ended, with each one's outcome, in order. */
  invokeMany<T = unknown>(
    id: StepId,
    children: InvokeOptions[],
    options?: { timeout?: Duration },
  ): Promise<InvokeManyResult<T>>;
  /**
   * Publishes `data` to a realtime stream, durably: the message's id derives from the run and the
   * step, so a retry or a crash never repeats it, and the step's result records its place
   * (`{ seq }`). For many fast messages (an LLM's tokens), use `publish` or `pipe` in a step's context.
   */
  publish(id: StepId, stream: string, data: unknown): Promise<{ seq: number }>;
  /**
   * Creates a wait token: an id and a URL that completes it (`POST` a JSON body; no API key, the
   * URL is the capability). Hand the URL out in a later step, then `waitForToken` it; a token
   * completed before the wait begins is kept for it.
   */
  createToken(id: StepId, options: CreateTokenOptions): Promise<WaitToken>;
  /**
   * Waits until a token is completed and resolves with its body, or with null once the token
   * expires. Given options instead of a token, the step creates its own token, which the run's
   * view (API, dashboard; not realtime subscribers) shows while it waits.
   */
  waitForToken<TData = unknown>(
    id: StepId,
    token: WaitToken | CreateTokenOptions,
  ): Promise<TokenCompletion<TData> | null>;
}

function readId(id: StepId): { id: string; name: string } {
  const raw = typeof id === "string" ? { id } : id;
  if (typeof raw?.id !== "string" || raw.id.length === 0 || raw.id.length > 256) {
    throw new InvalidStepError(`A step id must be a string of 1 to 256 characters; got ${JSON.stringify(raw?.id)}`);
  }
  return { id: raw.id, name: raw.name ?? raw.id };
}

function readDate(stepId: string, until: Date | string | number): number {
  const time = until instanceof Date ? until.getTime() : typeof until === "string" ? Date.parse(until) : until;
  if (typeof time !== "number" || !Number.isFinite(time)) {
    throw new InvalidStepError(`step.sleepUntil("${stepId}"): cannot read ${JSON.stringify(until)} as a date`);
  }
  return time;
}

function checkedSleep(stepId: string, ms: number): number {
  if (ms > MAX_SLEEP_MS) {
    throw new InvalidStepError(`Step "${stepId}" sleeps ${ms} ms; the limit is 10 years (${MAX_SLEEP_MS} ms)`);
  }
  return ms;
}

/** Builds the tools bound to one execution. Argument errors become rejected promises. */
export function createStepTools(session: ExecutionSession): StepTools {
  const guard = <T>(body: () => Promise<T>): Promise<T> => {
    try {
      return body();
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    run: <T>(id: StepId, fn: (context: StepContext) => T | Promise<T>, options?: { timeout?: Duration }) =>
      guard(() => {
        if (typeof fn !== "function") throw new InvalidStepError(`step.run(${JSON.stringify(id)}) needs a function`);
        const { id: name, name: label } = readId(id);
        const timeoutMs = options?.timeout === undefined ? undefined : toMs(options.timeout);
        return session.reach({
          name,
          label,
          op: "run",
          fn,
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        }) as Promise<Awaited<T>>;
      }),
    sleep: (id, duration) =>
      guard(() => {
        const { id: name, name: label } = readId(id);
        const ms = checkedSleep(name, toMs(duration));
        return session.reach({ name, label, op: "sleep", until: Date.now() + ms }).then(() => undefined);
      }),
    sleepUntil: (id, until) =>
      guard(() => {
        const { id: name, name: label } = readId(id);
        const time = readDate(name, until);
        checkedSleep(name, time - Date.now());
        return session.reach({ name, label, op: "sleep", until: time }).then(() => undefined);
      }),
    waitForEvent: <TData>(id: StepId, options: WaitForEventOptions) =>
      guard(() => {
        const { id: name, name: label } = readId(id);
        return session.reach({ name, label, op: "wait", wait: waitSpec(name, options, Date.now()) }) as Promise<
          WaitResult<TData>
        >;
      }),
    waitForEvents: ((id: StepId, options: WaitForEventsOptions) =>
      guard(() => {
        const { id: name, name: label } = readId(id);
        return session.reach({ name, label, op: "wait", wait: multiWaitSpec(name, options, Date.now()) });
      })) as StepTools["waitForEvents"],
    sendEvent: (id, events) =>
      guard(() => {
        const { id: name, name: label } = readId(id);
        return session.reach({ name, label, op: "send", events: sendable(name, events) }) as Promise<{ ids: string[] }>;
      }),
    invoke: <T>(id: StepId, options: InvokeOptions & { timeout?: Duration }) =>
      guard(() => {
        const { id: name, name: label } = readId(id);
        return session.reach({
          name,
          label,
          op: "invoke",
          invoke: invokeSpec(name, options, Date.now()),
        }) as Promise<T>;
      }),
    invokeMany: <T>(id: StepId, children: InvokeOptions[], options?: { timeout?: Duration }) =>
      guard(() => {
        const { id: name, name: label } = readId(id);
        return session.reach({
          name,
          label,
          op: "invoke",
          invoke: invokeManySpec(name, children, options, Date.now()),
        }) as Promise<InvokeManyResult<T>>;
      }),
    publish: (id, stream, data) =>
      guard(() => {
        const { id: name, name: label } = readId(id);
        checkOutgoing(stream, [{ data }]);
        const publish = async ({ stepId }: StepContext) => {
          const { seqs } = await session.publisher.publish(stream, [{ id: `${session.runId}/${stepId}`, data }]);
          return { seq: seqs[0] ?? 0 };
        };
        return session.reach({ name, label, op: "run", fn: publish }) as Promise<{ seq: number }>;
      }),
    createToken: (id, options) =>
      guard(() => {
        const { id: name, name: label } = readId(id);
        const token = newTokenSpec(name, options, Date.now());
        return session.reach({ name, label, op: "token", token }) as Promise<WaitToken>;
      }),
    waitForToken: <TData>(id: StepId, token: WaitToken | CreateTokenOptions) =>
      guard(() => {
        const { id: name, name: label } = readId(id);
        const spec =
          typeof token === "object" && token !== null && "id" in token
            ? tokenWaitSpec(name, token)
            : newTokenSpec(name, token, Date.now());
        return session.reach({ name, label, op: "wait", token: spec }) as Promise<TokenCompletion<TData> | null>;
      }),
  };
}
