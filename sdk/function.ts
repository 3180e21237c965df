/**
 * What `createFunction` builds: a validated configuration, its triggers and the handler.
 */
import { z } from "zod";
import { isDuration, type Duration } from "./duration.ts";
import { InvalidFunctionError } from "./errors.ts";
import { cronError } from "./cron.ts";
import { expressionError } from "./expression.ts";
import type { Logger } from "./logger.ts";
import { eventNameSchema, type Event, type SerializedError } from "./protocol.ts";
import type { StepTools } from "./step-tools.ts";

const durationSchema = z.custom<Duration>(isDuration, {
  message: 'expected a duration: milliseconds or text like "30s", "5m", "3 days"',
});

/** A CEL expression, checked when the function is defined so a bad one never reaches an event. */
const expressionSchema = z
  .string()
  .min(1)
  .max(1024)
  .superRefine((source, ctx) => {
    const error = expressionError(source);
    if (error) ctx.addIssue({ code: "custom", message: error });
  });

const concurrencyLimitSchema = z
  .object({
    limit: z.number().int().min(1).max(10_000),
    key: expressionSchema.optional(),
    scope: z.enum(["fn", "env"]).default("fn"),
  })
  .strict();

/** Retries allowed per function; each step and the function body get this many retries. */
const MAX_RETRIES = 20;

export const functionConfigSchema = z
  .object({
    id: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
        "letters, digits, '.', '_' or '-', at most 128, starting with a letter or digit",
      ),
    name: z.string().max(256).optional(),
    retries: z.number().int().min(0).max(MAX_RETRIES).default(3),
    backoff: z
      .object({
        initial: durationSchema.default("1s"),
        coefficient: z.number().min(1).max(10).default(2),
        max: durationSchema.default("10m"),
      })
      .strict()
      .optional(),
    /** CEL giving a key (e.g. `event.data.userId`): at most one run per key value per 24 hours. */
    idempotency: expressionSchema.optional(),
    /**
     * Steps of this function executing at once: a number, or up to two limits `{ limit, key?, scope? }`
     * (`key`: CEL giving a per-key limit, e.g. `event.data.tenantId`; `scope`: "fn" counts this
     * function's runs, "env" every function sharing the key).
     */
    concurrency: z
      .union([
        z.number().int().min(1).max(10_000),
        concurrencyLimitSchema,
        z.array(concurrencyLimitSchema).min(1).max(2, "at most two concurrency limits"),
      ])
      .transform((value) =>
        typeof value === "number" ? [{ limit: value, scope: "fn" as const }] : Array.isArray(value) ? value : [value],
      )
      .optional(),
    /** `run`: CEL giving seconds (-600 to 600) a run's steps go ahead of others waiting for a concurrency slot. */
    priority: z.object({ run: expressionSchema }).strict().optional(),
    /** One run with the last event, once `period` passes with no new one (at most `timeout` after the first). */
    debounce: z
      .object({ period: durationSchema, key: expressionSchema.optional(), timeout: durationSchema.optional() })
      .strict()
      .optional(),
    /** One run receiving `events` (an array) when `maxSize` have arrived or `timeout` after the first. */
    batchEvents: z
      .object({
        maxSize: z.number().int().min(1).max(1_000),
        timeout: durationSchema,
        key: expressionSchema.optional(),
      })
      .strict()
      .optional(),
    /** Runs start no faster than `limit` per `period` (plus `burst`); the rest wait, none is dropped. */
    throttle: z
      .object({
        limit: z.number().int().min(1),
        period: durationSchema,
        burst: z.number().int().min(0).default(0),
        key: expressionSchema.optional(),
      })
      .strict()
      .optional(),
    /** At most `limit` runs start per `period`; the rest are skipped (and recorded as skipped). */
    rateLimit: z
      .object({ limit: z.number().int().min(1), period: durationSchema, key: expressionSchema.optional() })
      .strict()
      .optional(),
    /** At most one run per key at a time: a new one is skipped, or cancels the running one. */
    singleton: z
      .object({ key: expressionSchema.optional(), mode: z.enum(["skip", "cancel"]) })
      .strict()
      .optional(),
    /** `start`: a run not started by then is cancelled; `finish`: a run not finished by then fails. */
    timeouts: z.object({ start: durationSchema.optional(), finish: durationSchema.optional() }).strict().optional(),
    /** Events that cancel a run: `match` a path equal in both events, or an `if` over `event` and `async`. */
    cancelOn: z
      .array(
        z
          .object({
            event: eventNameSchema,
            match: z
              .string()
              .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'a dotted path like "data.userId"')
              .optional(),
            if: expressionSchema.optional(),
            timeout: durationSchema.optional(),
          })
          .strict()
          .refine((c) => c.match === undefined || c.if === undefined, "give `match` or `if`, not both"),
      )
      .max(5)
      .optional(),
  })
  .strict();
export type FunctionConfigInput = z.input<typeof functionConfigSchema>;
export type FunctionConfig = z.output<typeof functionConfigSchema>;

/** An event name, or a prefix ending in `*` (`user/*` matches `user/signed-up`). */
const eventPatternSchema = z
  .string()
  .min(1)
  .max(256)
  .refine((name) => !name.slice(0, -1).includes("*"), "a wildcard `*` may only end the event name, as in `user/*`");

export const triggerSchema = z.union([
  z.object({ event: eventPatternSchema, if: expressionSchema.optional() }).strict(),
  z
    .object({ cron: z.string().min(1).max(256), timezone: z.string().min(1).optional() })
    .strict()
    .superRefine((trigger, ctx) => {
      const error = cronError(trigger.cron, trigger.timezone);
      if (error) ctx.addIssue({ code: "custom", message: error, path: ["cron"] });
    }),
]);
export type Trigger = z.infer<typeof triggerSchema>;

export type { Event };

/** What a handler receives on every execution. */
export interface HandlerContext<TData = Record<string, unknown>> {
  event: Event<TData>;
  events: Event<TData>[];
  step: StepTools;
  runId: string;
  attempt: number;
  logger: Logger;
  /**
   * The run's span as a W3C `traceparent` (absent from an engine that does not send it). Put it on
   * your own outgoing requests' `traceparent` header, or hand it to your tracer as the parent, and
   * their spans join the run's trace.
   */
  traceparent?: string;
}

/** What an `onFailure` handler receives: the final error and the event that started the failed run. */
export interface FailureContext<TData = Record<string, unknown>> extends HandlerContext<TData> {
  error: SerializedError;
  failedRunId: string;
}

export type Handler<TData, TOutput> = (ctx: HandlerContext<TData>) => Promise<TOutput> | TOutput;
export type FailureHandler<TData> = (ctx: FailureContext<TData>) => Promise<unknown> | unknown;

/** A function as the engine sees it: the handler works on untyped event data. */
export interface StepwiseFunction {
  readonly id: string;
  readonly appId: string;
  readonly config: FunctionConfig;
  readonly triggers: Trigger[];
  readonly handler: Handler<Record<string, unknown>, unknown>;
  readonly onFailure?: FailureHandler<Record<string, unknown>> | undefined;
}

/** Validates config and triggers; throws {@link InvalidFunctionError} with the zod issues. */
export function defineFunction(
  appId: string,
  config: unknown,
  trigger: unknown,
  handler: unknown,
  onFailure?: unknown,
): StepwiseFunction {
  const parsedConfig = functionConfigSchema.safeParse(config);
  if (!parsedConfig.success) {
    throw new InvalidFunctionError(
      `Invalid function config: ${z.prettifyError(parsedConfig.error)}`,
      parsedConfig.error.issues,
    );
  }
  const id = parsedConfig.data.id;
  const triggers = z
    .array(triggerSchema)
    .safeParse(trigger === undefined ? [] : Array.isArray(trigger) ? trigger : [trigger]);
  if (!triggers.success) {
    throw new InvalidFunctionError(
      `Invalid trigger for function "${id}": ${z.prettifyError(triggers.error)}`,
      triggers.error.issues,
    );
  }
  if (typeof handler !== "function") throw new InvalidFunctionError(`Function "${id}" needs a handler function`);
  if (onFailure !== undefined && typeof onFailure !== "function") {
    throw new InvalidFunctionError(`Function "${id}": onFailure must be a function`);
  }
  return {
    id,
    appId,
    config: parsedConfig.data,
    triggers: triggers.data,
    handler: handler as StepwiseFunction["handler"],
    onFailure: onFailure as StepwiseFunction["onFailure"],
  };
}
