/**
 * An Inngest function's configuration, as the official SDK registers it (../shared/
 * INNGEST-PROTOCOL.md §1.3), mapped onto Stepwise's own (`sdk/function.ts`): the same flow control
 * objects then run it. Whatever cannot map is refused at sync, every refusal collected and each
 * naming the function and the Inngest option, so an app is never half-registered.
 *
 * Mapped deliberately:
 * - `retries` absent means Inngest's default of 4, not Stepwise's 3; the backoff approximates
 *   Inngest's (15 s doubling to 2 h).
 * - `concurrency.scope: "account"` is `"env"`: one Stepwise deployment is one environment.
 * - a concurrency limit of 0 (Inngest: no limit) is no limit.
 */
import { z } from "zod";
import { functionConfigSchema, triggerSchema, type FunctionConfig, type Trigger } from "../../../sdk/function.ts";

/** Inngest's retry default: 4 retries, 5 attempts. */
const INNGEST_DEFAULT_RETRIES = 4;
const INNGEST_BACKOFF = { initial: "15s", coefficient: 2, max: "2h" };

/** The options Inngest's SDK registers; anything else is refused by name. */
const KNOWN = new Set([
  "id",
  "name",
  "triggers",
  "steps",
  "idempotency",
  "batchEvents",
  "rateLimit",
  "throttle",
  "singleton",
  "debounce",
  "timeouts",
  "priority",
  "concurrency",
  "cancel",
]);

const stepSchema = z.looseObject({
  runtime: z.looseObject({ type: z.string(), url: z.string().optional() }),
  retries: z.looseObject({ attempts: z.number().int().optional() }).optional(),
});
const inngestConcurrencySchema = z.looseObject({
  limit: z.number().int(),
  key: z.string().optional(),
  scope: z.string().optional(),
});
/** A function as it arrives in a sync: read loosely, so an unexpected key is refused by name, not by zod. */
export const inngestFunctionSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  triggers: z
    .array(
      z.union([
        z.looseObject({ event: z.string(), expression: z.string().optional() }),
        z.looseObject({ cron: z.string(), jitter: z.string().optional() }),
      ]),
    )
    .default([]),
  steps: z.record(z.string(), stepSchema),
  concurrency: z.union([z.number().int(), inngestConcurrencySchema, z.array(inngestConcurrencySchema)]).optional(),
  batchEvents: z.looseObject({ if: z.string().optional() }).optional(),
  priority: z.looseObject({ run: z.string().optional() }).optional(),
  cancel: z
    .array(z.looseObject({ event: z.string(), if: z.string().optional(), timeout: z.string().optional() }))
    .optional(),
});
export type InngestFunction = z.infer<typeof inngestFunctionSchema>;

/** A function mapped onto Stepwise: its config and triggers, and the URL its step runs at. */
export interface MappedFunction {
  id: string;
  config: FunctionConfig;
  triggers: Trigger[];
  url: string | undefined;
}

/** `"TZ=Europe/Paris 0 12 * * *"` (or `CRON_TZ=`) as a cron expression and its time zone. */
export function parseCron(text: string): { cron: string; timezone?: string } {
  const zoned = /^(?:CRON_)?TZ=(\S+)\s+(.+)$/.exec(text.trim());
  return zoned?.[1] && zoned[2] ? { cron: zoned[2], timezone: zoned[1] } : { cron: text.trim() };
}

/** Stepwise's name of an option back in Inngest's words, for a refusal. */
const inngestPath = (path: PropertyKey[]): string =>
  path.map((part, index) => (index === 0 && part === "cancelOn" ? "cancel" : String(part))).join(".");

/** Concurrency limits in Stepwise's form: account scope as env, a limit of 0 as none. */
function concurrencyOf(value: InngestFunction["concurrency"]): unknown {
  if (value === undefined || value === 0) return undefined;
  if (typeof value === "number") return value;
  const limits = (Array.isArray(value) ? value : [value])
    .filter((limit) => limit.limit !== 0)
    .map(({ scope, ...limit }) => ({ ...limit, ...(scope ? { scope: scope === "account" ? "env" : scope } : {}) }));
  return limits.length === 0 ? undefined : limits;
}

/** Maps one registered Inngest function, or says every reason it cannot run on Stepwise. */
export function mapInngestFunction(raw: unknown): { ok: true; fn: MappedFunction } | { ok: false; refusals: string[] } {
  const parsed = inngestFunctionSchema.safeParse(raw);
  const named = typeof raw === "object" && raw !== null && "id" in raw ? String(raw.id) : "(no id)";
  if (!parsed.success) return { ok: false, refusals: [`function "${named}": ${z.prettifyError(parsed.error)}`] };
  const fn = parsed.data;
  const refusals: string[] = [];
  const refuse = (option: string, why: string) => refusals.push(`function "${fn.id}": ${option} ${why}`);
  for (const key of Object.keys(fn)) if (!KNOWN.has(key)) refuse(key, "is not an option Stepwise knows");

  const steps = Object.entries(fn.steps);
  const [only] = steps;
  if (steps.length !== 1 || !only) refuse("steps", "must hold exactly one step, as the SDK registers it");
  else if (only[1].runtime.type !== "http")
    refuse(
      "runtime.type",
      `"${only[1].runtime.type}" (Inngest Connect) is not supported: serve the function over HTTP`,
    );
  if (fn.batchEvents?.if !== undefined)
    refuse("batchEvents.if", "is not supported: Stepwise batches every event of the function");

  const triggers: unknown[] = [];
  fn.triggers.forEach((trigger, index) => {
    if ("event" in trigger)
      triggers.push({ event: trigger.event, ...(trigger.expression ? { if: trigger.expression } : {}) });
    else if (trigger.jitter !== undefined)
      refuse(`triggers[${index}].jitter`, "is not supported: a cron runs at its tick");
    else triggers.push(parseCron(trigger.cron));
  });

  const attempts = only?.[1].retries?.attempts;
  const input = {
    id: fn.id,
    ...(fn.name !== undefined ? { name: fn.name } : {}),
    retries: attempts ?? INNGEST_DEFAULT_RETRIES,
    backoff: INNGEST_BACKOFF,
    ...pick(fn, ["idempotency", "rateLimit", "throttle", "singleton", "debounce", "timeouts"]),
    ...(fn.batchEvents ? { batchEvents: omit(fn.batchEvents, "if") } : {}),
    ...(fn.priority?.run !== undefined ? { priority: { run: fn.priority.run } } : {}),
    ...(concurrencyOf(fn.concurrency) !== undefined ? { concurrency: concurrencyOf(fn.concurrency) } : {}),
    ...(fn.cancel ? { cancelOn: fn.cancel } : {}),
  };
  const config = functionConfigSchema.safeParse(input);
  if (!config.success)
    for (const issue of config.error.issues) refuse(inngestPath(issue.path) || "config", issue.message);
  const checked: Trigger[] = [];
  triggers.forEach((trigger, index) => {
    const result = triggerSchema.safeParse(trigger);
    if (result.success) checked.push(result.data);
    else refuse(`triggers[${index}]`, result.error.issues.map((issue) => issue.message).join("; "));
  });
  if (refusals.length > 0 || !config.success) return { ok: false, refusals };
  return { ok: true, fn: { id: fn.id, config: config.data, triggers: checked, url: only?.[1].runtime.url } };
}

/** The options of `source` named in `keys` that it has. */
function pick(source: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));
}

/** `source` without `key` (already refused, so not refused again by Stepwise's schema). */
function omit(source: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(source).filter(([name]) => name !== key));
}
