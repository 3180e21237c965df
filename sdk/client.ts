/**
 * The client users create once per app: `new Stepwise({ id })`, then `createFunction` for each
 * function the app defines; with a binding or a base URL it also sends events and starts, reads,
 * lists and cancels runs.
 */
import type { ReplayOptions, ReplayResult } from "./replay.ts";
import { Schedules } from "./schedule-calls.ts";
import type { PauseOptions, PauseResult, ResumeResult } from "./function-control.ts";
import { z } from "zod";
import type {
  CancelResult,
  InvokeCallOptions,
  ListRunsFilter,
  RescheduleResult,
  StepwiseBinding,
  TokenCompleted,
} from "./binding.ts";
import type { DelayOptions } from "./delay.ts";
import type { WaitToken } from "./wait-tokens.ts";
import type { RealtimeMessage, RealtimeScope, RealtimeToken } from "./realtime/messages.ts";
import * as calls from "./calls.ts";
import { InvalidFunctionError, StepwiseError } from "./errors.ts";
import type { RunPage, RunView } from "./runs.ts";
import { SendEventsError, sendEvents, type SendableEvent, type StepwiseTarget } from "./send.ts";
import {
  defineFunction,
  type FailureHandler,
  type FunctionConfigInput,
  type Handler,
  type StepwiseFunction,
  type Trigger,
} from "./function.ts";

const clientOptionsSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "letters, digits, '.', '_' or '-', at most 128"),
  baseUrl: z.url().optional(),
  eventKey: z.string().min(1).optional(),
  apiKey: z.string().min(1).optional(),
});

/**
 * Options of {@link Stepwise}: `id` names the app that owns the functions. To reach Stepwise, give
 * either `binding` (the service binding to Stepwise, inside a Worker) or `baseUrl` with
 * `eventKey` (to send events) and `apiKey` (to start, read, list and cancel runs).
 */
export type StepwiseOptions = z.input<typeof clientOptionsSchema> & { binding?: StepwiseBinding; fetch?: typeof fetch };

/** Config of {@link Stepwise.createFunction}: limits and policies, plus an optional `onFailure`. */
export type CreateFunctionConfig<TData> = FunctionConfigInput & { onFailure?: FailureHandler<TData> };

/** Where each client sends (internal: `serve()` syncs through it; not exported from index.ts). */
export const clientTargets = new WeakMap<Stepwise, StepwiseTarget>();

/**
 * An app's entry point to Stepwise: define functions, send events, start and read runs. Reaches
 * Stepwise through a service binding (`binding`) or over HTTPS (`baseUrl` with keys).
 *
 * @example
 * ```ts
 * import { Stepwise } from "stepwise";
 *
 * const stepwise = new Stepwise({ id: "shop", binding: env.STEPWISE });
 * const welcome = stepwise.createFunction({ id: "welcome" }, { event: "user.created" }, async ({ event, step }) => {
 *   await step.sleep("settle", "1h");
 *   return step.run("email", () => sendWelcome(event.data.email));
 * });
 * await stepwise.send({ name: "user.created", data: { email: "ada@example.com" } });
 * ```
 */
export class Stepwise {
  readonly id: string;
  private readonly target: StepwiseTarget | undefined;

  /** Schedules made at run time, per user or tenant (see {@link Schedules}). */
  readonly schedules: Schedules = new Schedules((what) => this.reach(what));

  constructor(options: StepwiseOptions) {
    const { binding, fetch, ...rest } = options;
    const parsed = clientOptionsSchema.safeParse(rest);
    if (!parsed.success)
      throw new InvalidFunctionError(`Invalid Stepwise options: ${z.prettifyError(parsed.error)}`, parsed.error.issues);
    this.id = parsed.data.id;
    if (binding) this.target = { binding };
    else if (parsed.data.baseUrl)
      this.target = { baseUrl: parsed.data.baseUrl, eventKey: parsed.data.eventKey, apiKey: parsed.data.apiKey, fetch };
    if (this.target) clientTargets.set(this, this.target);
  }

  /**
   * Sends one event or many; resolves with their ids once Stepwise has accepted them (it then
   * starts every function that listens). Throws {@link SendEventsError} when they are refused.
   *
   * @example
   * ```ts
   * const { ids } = await stepwise.send([{ name: "order.placed", data: { orderId: "o-1" }, id: "order-o-1" }]);
   * ```
   */
  async send(events: SendableEvent | SendableEvent[]): Promise<{ ids: string[] }> {
    if (!this.target)
      throw new SendEventsError(
        `Stepwise client "${this.id}" cannot send events: give it a \`binding\` or a \`baseUrl\``,
      );
    return sendEvents(this.target, events);
  }

  /**
   * Starts a run of `functionId` with `data` as its event data. Refusals throw {@link StepwiseRefusedError}.
   *
   * @example
   * ```ts
   * const { runId } = await stepwise.invoke("generate-report", { month: "2026-11" });
   * const run = await stepwise.getRun(runId);
   * ```
   */
  async invoke(
    functionId: string,
    data: Record<string, unknown> = {},
    options: InvokeCallOptions = {},
  ): Promise<{ runId: string }> {
    return calls.invoke(this.reach("start a run"), functionId, data, options);
  }

  /** A run's status, steps, output or error; null when there is no such run. */
  async getRun(runId: string): Promise<RunView | null> {
    return calls.getRun(this.reach("read a run"), runId);
  }

  /** A page of runs, newest first; pass the page's `nextCursor` as `cursor` for the next one. */
  async listRuns(filter: ListRunsFilter = {}): Promise<RunPage> {
    return calls.listRuns(this.reach("list runs"), filter);
  }

  /** Cancels a run (and the child runs it waits for); null when there is no such run. */
  async cancel(runId: string, reason?: string): Promise<CancelResult | null> {
    return calls.cancel(this.reach("cancel a run"), runId, reason);
  }

  /**
   * Moves a scheduled run's start (`delay` or `runAt`; neither: now); null when there is no such
   * run. Refused with a `RefusedError` (409 `run_started`) once the run has started.
   */
  async reschedule(runId: string, options: DelayOptions = {}): Promise<RescheduleResult | null> {
    return calls.reschedule(this.reach("reschedule a run"), runId, options);
  }

  /**
   * Replays an ended run as a new one: from its first failed step (the default), `fromStart`, a
   * step of your choice (`fromStep`: the steps before it are kept), or with edited event `data`.
   *
   * @example
   * ```ts
   * await stepwise.replay(runId, { fromStep: "charge-card", data: { ...order, amount: 1200 } });
   * ```
   */
  async replay(runId: string, options: ReplayOptions = {}): Promise<ReplayResult> {
    return calls.replay(this.reach("replay a run"), runId, options);
  }

  /**
   * Pauses a function: new runs are held (status `paused`) and running runs hold at their next
   * step, until {@link resumeFunction}. With `drain`, running runs finish and only new ones are
   * held. A cron tick while paused or draining is skipped. Refused (404) for an unknown function.
   *
   * @example
   * ```ts
   * await stepwise.pauseFunction("sync-invoices", { reason: "the billing API is down" });
   * ```
   */
  async pauseFunction(functionId: string, options: PauseOptions = {}): Promise<PauseResult> {
    return calls.pauseFunction(this.reach("pause a function"), functionId, options);
  }

  /** Resumes a paused or draining function; its held runs are released in the background (`jobId` follows it). */
  async resumeFunction(functionId: string): Promise<ResumeResult> {
    return calls.resumeFunction(this.reach("resume a function"), functionId);
  }

  /**
   * Completes a wait token (its id, or the token a step returned) with `data`, once; the step
   * waiting for it resumes. Refusals (unknown, completed, expired) throw {@link StepwiseRefusedError}.
   *
   * @example
   * ```ts
   * await stepwise.completeToken(tokenId, { approved: true, by: "ada" });
   * ```
   */
  async completeToken(token: string | WaitToken, data: unknown = null): Promise<TokenCompleted> {
    const tokenId = typeof token === "string" ? token : token.id;
    return calls.completeToken(this.reach("complete a wait token"), tokenId, data);
  }

  /**
   * Mints a subscription token your backend hands a browser: it opens one realtime subscription,
   * once, to one run or one stream, within `ttlSeconds` (60 by default, at most 3,600).
   *
   * @example
   * ```ts
   * const { token } = await stepwise.realtimeToken({ run: runId });
   * return Response.json({ token }); // the page subscribes with it (stepwise/realtime)
   * ```
   */
  async realtimeToken(scope: RealtimeScope, options: { ttlSeconds?: number } = {}): Promise<RealtimeToken> {
    return calls.realtimeToken(this.reach("mint a realtime token"), scope, options.ttlSeconds);
  }

  /** Publishes one message (or several, `{ messages }`) to a realtime stream from your backend. */
  async publish(stream: string, data: unknown): Promise<{ seqs: number[] }> {
    return calls.publish(this.reach("publish"), stream, [{ data }]);
  }

  /**
   * Subscribes to a run or a stream from a server: its messages as they come (a run's snapshot,
   * then each change; a stream's kept messages after `after`, then live). Break out to stop.
   */
  async subscribe(scope: RealtimeScope, options: { after?: number } = {}): Promise<AsyncGenerator<RealtimeMessage>> {
    return calls.subscribe(this.reach("subscribe"), scope, options.after);
  }

  private reach(what: string): StepwiseTarget {
    if (!this.target)
      throw new StepwiseError(`Stepwise client "${this.id}" cannot ${what}: give it a \`binding\` or a \`baseUrl\``);
    return this.target;
  }

  /**
   * Defines a durable function: its config (`id`, `retries`, `backoff`, `onFailure`), what
   * triggers it (an event, a cron, or several; none for invoke-only), and its handler.
   * Throws {@link InvalidFunctionError} with the zod issues when the config or trigger is invalid.
   *
   * @example
   * ```ts
   * const charge = stepwise.createFunction<{ orderId: string }>(
   *   { id: "charge", retries: 5, concurrency: { limit: 10, key: "event.data.accountId" } },
   *   { event: "order.placed" },
   *   async ({ event, step }) => {
   *     const payment = await step.run("charge card", () => payments.charge(event.data.orderId));
   *     await step.sendEvent("notify", { name: "order.charged", data: { orderId: event.data.orderId, payment } });
   *     return payment;
   *   },
   * );
   * ```
   */
  createFunction<TData = Record<string, unknown>, TOutput = unknown>(
    config: CreateFunctionConfig<TData>,
    trigger: Trigger | Trigger[] | undefined,
    handler: Handler<TData, TOutput>,
  ): StepwiseFunction {
    const { onFailure, ...rest } = config;
    return defineFunction(this.id, rest, trigger, handler, onFailure);
  }
}
