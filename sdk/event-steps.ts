/**
 * The event steps: `step.waitForEvent` and `step.sendEvent`. Both are carried out by the engine,
 * not by user code: the SDK only reports what the function asked for, checked here first.
 */
import { toMs, type Duration } from "./duration.ts";
import { InvalidStepError } from "./errors.ts";
import { expressionError } from "./expression.ts";
import type { Event, WaitSpec } from "./protocol.ts";
import type { SendableEvent } from "./send.ts";

/** Longest a wait may last, and the longest lookback. */
const MAX_WAIT_MS = 365 * 86_400_000;
export const MAX_LOOKBACK_MS = 3_600_000;

/** Options of `step.waitForEvent`. */
export interface WaitForEventOptions {
  /** Name of the event to wait for. */
  event: string;
  /** How long to wait before giving up (the step then returns null). */
  timeout: Duration;
  /** A dotted path that must be equal in both events, e.g. `"data.invoiceId"`. */
  match?: string;
  /** CEL over `event` (this run's event) and `async` (the incoming one). */
  if?: string;
  /** Also accept an event that arrived up to this long before the wait began (at most 1 hour). */
  lookback?: Duration;
}

/** One of the events of `step.waitForEvents`, with its own condition. */
export interface WaitPart {
  event: string;
  match?: string;
  if?: string;
}

interface MultiWaitTiming {
  timeout: Duration;
  lookback?: Duration;
}
/** `step.waitForEvents` for every one of the events. */
export type WaitForAllOptions = { all: WaitPart[]; any?: never } & MultiWaitTiming;
/** `step.waitForEvents` for the first of the events. */
export type WaitForAnyOptions = { any: WaitPart[]; all?: never } & MultiWaitTiming;
/** Options of `step.waitForEvents`: `all` of the events, or `any` one of them. */
export type WaitForEventsOptions = WaitForAllOptions | WaitForAnyOptions;

/** What a `step.waitForEvent` resolves with: the event, or null when the timeout passed. */
export type WaitResult<TData = Record<string, unknown>> = Event<TData> | null;

const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Turns the options into the wait the engine registers; throws {@link InvalidStepError} when they are wrong. */
export function waitSpec(stepId: string, options: WaitForEventOptions, now: number): WaitSpec {
  const where = `step.waitForEvent("${stepId}")`;
  if (typeof options?.event !== "string" || options.event.length === 0 || options.event.length > 256) {
    throw new InvalidStepError(`${where} needs an event name of 1 to 256 characters`);
  }
  if (options.match !== undefined && options.if !== undefined)
    throw new InvalidStepError(`${where}: give \`match\` or \`if\`, not both`);
  if (options.match !== undefined && !PATH.test(options.match)) {
    throw new InvalidStepError(
      `${where}: match must be a dotted path like "data.invoiceId"; got ${JSON.stringify(options.match)}`,
    );
  }
  const condition = options.match !== undefined ? `event.${options.match} == async.${options.match}` : options.if;
  const invalid = condition === undefined ? undefined : expressionError(condition);
  if (invalid) throw new InvalidStepError(`${where}: ${invalid}`);
  const timeout = toMs(options.timeout);
  if (timeout > MAX_WAIT_MS) throw new InvalidStepError(`${where} waits ${timeout} ms; the limit is 1 year`);
  const lookbackMs = options.lookback === undefined ? undefined : toMs(options.lookback);
  if (lookbackMs !== undefined && lookbackMs > MAX_LOOKBACK_MS)
    throw new InvalidStepError(`${where}: lookback is at most 1 hour`);
  return {
    event: options.event,
    until: now + timeout,
    ...(condition !== undefined ? { if: condition } : {}),
    ...(lookbackMs !== undefined ? { lookbackMs } : {}),
  };
}

/** Turns multi-event options into the wait the engine registers. */
export function multiWaitSpec(stepId: string, options: WaitForEventsOptions, now: number): WaitSpec {
  const mode = options?.all ? "all" : "any";
  const parts = options?.all ?? options?.any;
  if (!Array.isArray(parts) || parts.length < 1 || parts.length > 10) {
    throw new InvalidStepError(`step.waitForEvents("${stepId}") needs \`all\` or \`any\` with 1 to 10 events`);
  }
  const specs = parts.map((part) =>
    waitSpec(
      stepId,
      { ...part, timeout: options.timeout, ...(options.lookback !== undefined ? { lookback: options.lookback } : {}) },
      now,
    ),
  );
  const [first, ...rest] = specs;
  return {
    ...first!,
    mode,
    more: rest.map((spec) => ({ event: spec.event, ...(spec.if !== undefined ? { if: spec.if } : {}) })),
  };
}

/** Checks the events a `step.sendEvent` sends; the engine validates them fully. */
export function sendable(stepId: string, events: SendableEvent | SendableEvent[]): Record<string, unknown>[] {
  const list = Array.isArray(events) ? events : [events];
  if (list.length === 0 || list.length > 5_000)
    throw new InvalidStepError(`step.sendEvent("${stepId}") sends 1 to 5,000 events; got ${list.length}`);
  for (const event of list) {
    if (typeof event?.name !== "string" || event.name.length === 0)
      throw new InvalidStepError(`step.sendEvent("${stepId}"): every event needs a name`);
  }
  return JSON.parse(JSON.stringify(list)) as Record<string, unknown>[];
}
