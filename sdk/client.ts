/**
 * The client users create once per app: `new Stepwise({ id })`, then `createFunction` for each
 * function the app defines.
 */
import { z } from "zod";
import { InvalidFunctionError } from "./errors.ts";
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
});

/** Options of {@link Stepwise}: `id` names the app that owns the functions. */
export type StepwiseOptions = z.input<typeof clientOptionsSchema>;

/** Config of {@link Stepwise.createFunction}: limits and policies, plus an optional `onFailure`. */
export type CreateFunctionConfig<TData> = FunctionConfigInput & { onFailure?: FailureHandler<TData> };

/** An app's entry point to Stepwise. */
export class Stepwise {
  readonly id: string;

  constructor(options: StepwiseOptions) {
    const parsed = clientOptionsSchema.safeParse(options);
    if (!parsed.success) throw new InvalidFunctionError(`Invalid Stepwise options: ${z.prettifyError(parsed.error)}`, parsed.error.issues);
    this.id = parsed.data.id;
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
