/**
 * The engine <-> SDK execution protocol: one request shape and one response shape. Both sides
 * import these schemas; they are the only definition of the wire format, whether the call is
 * in-process (embedded functions), a service binding or HTTPS.
 */
import { traceparentSchema } from "./trace-context.ts";
import { z } from "zod";
import { tokenSpecSchema } from "./wait-tokens.ts";
import { MAX_METADATA_OPS, metadataOpSchema } from "./metadata.ts";
import { tagsSchema } from "./tags.ts";
import { stepLogsSchema } from "./step-logs.ts";

/** Bumped on any change a peer on the old version would misread. */
export const PROTOCOL_VERSION = 1;

/**
 * Largest JSON result a step may return; the engine fails a step over it. Results above
 * {@link MAX_INLINE_OUTPUT_BYTES} are kept in R2 (the PAYLOADS bucket), with a claim check in the
 * history; a deployment without the bucket keeps {@link MAX_INLINE_OUTPUT_BYTES} as its limit.
 */
export const MAX_STEP_OUTPUT_BYTES = 100 * 1024 * 1024;
/** Largest step result kept in the run's history itself, and the limit without an R2 bucket. */
export const MAX_INLINE_OUTPUT_BYTES = 1024 * 1024;
/** Most bytes of step results one run keeps in R2 together (a replay reads them all back). */
export const MAX_RUN_KEPT_BYTES = 256 * 1024 * 1024;
/** Largest JSON a function may return: as a step's, past the inline limit it is kept in R2. */
export const MAX_FUNCTION_RESULT_BYTES = MAX_STEP_OUTPUT_BYTES;

/** Where a large step result is kept (set by the engine only; what an app answers is never taken). */
export const claimSchema = z.object({ key: z.string().min(1).max(512), bytes: z.number().int().min(0) });
export type Claim = z.infer<typeof claimSchema>;

/** An error after it has crossed the protocol: plain data, never a live Error. */
export const serializedErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
});
export type SerializedError = z.infer<typeof serializedErrorSchema>;

/**
 * An event name a function, a wait or a `cancelOn` may name. A leading NUL is refused: Stepwise
 * names the keyed shards of waits so, apart from every event name.
 */
export const eventNameSchema = z
  .string()
  .min(1, "an event needs a name")
  .max(256)
  .refine((name) => !name.startsWith("\u0000"), {
    error: "an event name may not start with a NUL character (Stepwise keeps such names for itself)",
  });

/** An event as a run receives it: always with an id and a timestamp. */
export const runEventSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1).max(256),
  data: z.record(z.string(), z.unknown()),
  ts: z.number().int(),
  user: z.record(z.string(), z.unknown()).optional(),
  /** Tags for the runs the event starts (a Stepwise addition to Inngest's event). */
  tags: tagsSchema.optional(),
  /** Set by the engine only: the data is kept in R2 (past the event size limit), and `data` is {}. */
  claim: claimSchema.optional(),
  /** The W3C trace context of the span that sent it: its runs' spans join that trace. */
  traceparent: traceparentSchema.optional(),
});
export type RunEvent = z.infer<typeof runEventSchema>;
/** An event a run received, with `data` typed as the function declares. */
export type Event<TData = Record<string, unknown>> = Omit<RunEvent, "data"> & { data: TData };

/** The kinds of step the SDK can report. */
export const stepOpSchema = z.enum(["run", "sleep", "wait", "send", "invoke", "token"]);
export type StepOp = z.infer<typeof stepOpSchema>;

/** A step with a recorded outcome, handed back on every replay instead of running it again. */
const memoStepSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("completed"), op: stepOpSchema, output: z.unknown(), claim: claimSchema.optional() }),
  z.object({ status: z.literal("failed"), op: stepOpSchema, error: serializedErrorSchema }),
]);
export type MemoStep = z.infer<typeof memoStepSchema>;

export const executionRequestSchema = z.object({
  version: z.literal(PROTOCOL_VERSION),
  functionId: z.string(),
  runId: z.string(),
  /** Attempt of the step named by `runStep`, or of the function body when there is none. */
  attempt: z.number().int().min(0),
  event: runEventSchema,
  events: z.array(runEventSchema).min(1),
  steps: z.record(z.string(), memoStepSchema),
  /** Run exactly this planned step (reached by replay) and report its outcome. */
  runStep: z.string().optional(),
  /**
   * Run these planned steps, all at their first attempt, in this one call (one replay reaches
   * them all). Embedded in the engine's Worker (live execution), each outcome but the last is
   * recorded as it ends and the last is the answer; served by an app (the `run-steps` feature),
   * the answer reports every outcome, in the order the steps ended. `steps` then need only hold
   * what the replay must resolve to reach them, not the outcomes of steps that ended since.
   */
  runSteps: z.array(z.string()).min(2).max(1_000).optional(),
  /** May the SDK run a single newly reached step in this same call? False while others are pending. */
  allowImmediate: z.boolean(),
  /**
   * After running a step immediately, the SDK may go on to the next step, and the next, in the
   * same call for up to this long, reporting every step it ran (remote apps: fewer round trips).
   * Absent or 0: one step per call. Steps run this way are recorded when the answer arrives, so a
   * call that fails before answering runs them again.
   */
  immediateBudgetMs: z.number().int().min(0).max(60_000).optional(),
  /** The run's span (W3C trace context), handed to the function as `traceparent` for its own calls. */
  traceparent: traceparentSchema.optional(),
});
export type ExecutionRequest = z.infer<typeof executionRequestSchema>;

/** Most events one multi-event wait waits for. */
export const MAX_WAIT_PARTS = 10;

/** What `step.waitForEvent` waits for: an event name, until when, and a CEL condition over `event` and `async`. */
export const waitSpecSchema = z.object({
  event: eventNameSchema,
  until: z.number(),
  /** CEL over `event` (the run's event) and `async` (the incoming one); absent: any event of that name. */
  if: z.string().optional(),
  /** Also match events accepted up to this long before the wait began. */
  lookbackMs: z.number().int().min(0).optional(),
  /** Further events for a multi-event wait, each with its own condition. */
  more: z
    .array(z.object({ event: eventNameSchema, if: z.string().optional() }))
    .max(MAX_WAIT_PARTS - 1)
    .optional(),
  /** A multi-event wait ends at the first event (`any`) or once each has arrived (`all`). */
  mode: z.enum(["any", "all"]).optional(),
});
export type WaitSpec = z.infer<typeof waitSpecSchema>;

/** Every event a wait waits for: the first, then the rest of a multi-event wait. */
export function waitParts(spec: WaitSpec): { event: string; if?: string | undefined }[] {
  return [{ event: spec.event, if: spec.if }, ...(spec.more ?? [])];
}

/** What `step.invoke` / `step.invokeMany` start: child runs, each a function and its data. */
export const invokeSpecSchema = z.object({
  children: z
    .array(
      z.object({
        functionId: z.string().min(1),
        data: z.record(z.string(), z.unknown()),
        /** The child's own tags, beside those it gets from this run. */
        tags: tagsSchema.optional(),
      }),
    )
    .min(1)
    .max(1_000),
  /** invokeMany: the step returns every child's outcome instead of failing with the first failure. */
  many: z.boolean(),
  /** Give up on children not finished by then (the step fails). */
  until: z.number().optional(),
});
export type InvokeSpec = z.infer<typeof invokeSpecSchema>;

/** How a child run ended, as its parent's step sees it. */
export const childOutcomeSchema = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    runId: z.string(),
    output: z.unknown(),
    /** The child's result is kept in R2 (past the inline limit): `output` is null. */
    claim: claimSchema.optional(),
  }),
  z.object({ ok: z.literal(false), runId: z.string(), error: serializedErrorSchema }),
]);
export type ChildOutcome = z.infer<typeof childOutcomeSchema>;

const timingSchema = z.object({ startedAt: z.number(), endedAt: z.number() });

/** One step the function reached, as reported back to the engine. */
export const reachedStepSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("ran"),
    id: z.string(),
    name: z.string(),
    output: z.unknown(),
    /** The attempt's changes to the run's metadata, in the order it made them. */
    metadata: z.array(metadataOpSchema).max(MAX_METADATA_OPS).optional(),
    /** The engine's own: the output was stored in R2 (`output` is then null). */
    claim: claimSchema.optional(),
    /** What the attempt logged (sdk/step-logs.ts). */
    logs: stepLogsSchema.optional(),
    timing: timingSchema,
  }),
  z.object({
    type: z.literal("errored"),
    id: z.string(),
    name: z.string(),
    error: serializedErrorSchema,
    retriable: z.boolean(),
    retryAt: z.number().optional(),
    logs: stepLogsSchema.optional(),
    timing: timingSchema,
  }),
  z.object({ type: z.literal("planned"), id: z.string(), name: z.string(), op: z.literal("run") }),
  z.object({ type: z.literal("sleep"), id: z.string(), name: z.string(), until: z.number() }),
  z.object({ type: z.literal("wait"), id: z.string(), name: z.string(), wait: waitSpecSchema }),
  z.object({
    type: z.literal("send"),
    id: z.string(),
    name: z.string(),
    events: z.array(z.record(z.string(), z.unknown())).min(1),
  }),
  z.object({ type: z.literal("invoke"), id: z.string(), name: z.string(), invoke: invokeSpecSchema }),
  /** `step.createToken`: the engine creates the token and completes the step with it. */
  z.object({ type: z.literal("token"), id: z.string(), name: z.string(), token: tokenSpecSchema }),
  /** `step.waitForToken`: a wait for a token created earlier (`tokenId`), or for one it creates. */
  z.object({ type: z.literal("token-wait"), id: z.string(), name: z.string(), token: tokenSpecSchema }),
]);
export type ReachedStep = z.infer<typeof reachedStepSchema>;

export const executionResponseSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("completed"),
    output: z.unknown(),
    /** Set by the engine only: the result was put in R2 and `output` is null. */
    claim: claimSchema.optional(),
  }),
  z.object({
    type: z.literal("failed"),
    error: serializedErrorSchema,
    retriable: z.boolean(),
    retryAt: z.number().optional(),
  }),
  z.object({ type: z.literal("steps"), steps: z.array(reachedStepSchema).min(1) }),
]);
export type ExecutionResponse = z.infer<typeof executionResponseSchema>;

/** Turns anything thrown into protocol data. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  }
  return { name: "Error", message: typeof error === "string" ? error : (JSON.stringify(error) ?? String(error)) };
}
