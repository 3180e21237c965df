/**
 * The client users create once per app: `new Stepwise({ id })`, then `createFunction` for each
 * function the app defines.
 */
import { z } from "zod";
import { InvalidFunctionError } from "./errors.ts";
import { SendEventsError, sendEvents, type EventsBinding, type EventTarget, type SendableEvent } from "./send.ts";
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
});

/**
 * Options of {@link Stepwise}: `id` names the app that owns the functions. To send events, give
 * either `binding` (the service binding to Stepwise, inside a Worker) or `baseUrl` and `eventKey`.
 */
export type StepwiseOptions = z.input<typeof clientOptionsSchema> & { binding?: EventsBinding; fetch?: typeof fetch };

/** Config of {@link Stepwise.createFunction}: limits and policies, plus an optional `onFailure`. */
export type CreateFunctionConfig<TData> = FunctionConfigInput & { onFailure?: FailureHandler<TData> };

/** Where each client sends (internal: `serve()` syncs through it; not exported from index.ts). */
export const clientTargets = new WeakMap<Stepwise, EventTarget>();

/** An app's entry point to Stepwise. */
export class Stepwise {
  readonly id: string;
  private readonly target: EventTarget | undefined;

  constructor(options: StepwiseOptions) {
    const { binding, fetch, ...rest } = options;
    const parsed = clientOptionsSchema.safeParse(rest);
    if (!parsed.success) throw new InvalidFunctionError(`Invalid Stepwise options: ${z.prettifyError(parsed.error)}`, parsed.error.issues);
    this.id = parsed.data.id;
    if (binding) this.target = { binding };
    else if (parsed.data.baseUrl) this.target = { baseUrl: parsed.data.baseUrl, eventKey: parsed.data.eventKey, fetch };
    if (this.target) clientTargets.set(this, this.target);
  }

  /**
   * Sends one event or many; resolves with their ids once Stepwise has accepted them (it then
   * starts every function that listens). Throws {@link SendEventsError} when they are refused.
   */
  async send(events: SendableEvent | SendableEvent[]): Promise<{ ids: string[] }> {
    if (!this.target) throw new SendEventsError(`Stepwise client "${this.id}" cannot send events: give it a \`binding\` or a \`baseUrl\``);
    return sendEvents(this.target, events);
  }

  /**
   * Defines a durable function: its config (`id`, `retries`, `backoff`, `onFailure`), what
   * triggers it (an event, a cron, or several; none for invoke-only), and its handler.
   * Throws {@link InvalidFunctionError} with the zod issues when the config or trigger is invalid.
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
