/**
 * A function's `onFailure` handler runs as a run of its own, started once when a run fails for
 * good, so it gets durable steps and retries like any function.
 */
import { z } from "zod";
import type { StepwiseFunction } from "./function.ts";
import { runEventSchema, serializedErrorSchema } from "./protocol.ts";
import { failureFunctionId } from "./system-events.ts";

const failureEventDataSchema = z.object({
  functionId: z.string(),
  runId: z.string(),
  error: serializedErrorSchema,
  event: runEventSchema,
});
export type FailureEventData = z.infer<typeof failureEventDataSchema>;

/** The companion function that hands a failed run's error and original event to `onFailure`. */
export function failureFunction(fn: StepwiseFunction): StepwiseFunction {
  const onFailure = fn.onFailure;
  if (!onFailure) throw new Error(`Function "${fn.id}" has no onFailure handler`);
  return {
    id: failureFunctionId(fn.id),
    appId: fn.appId,
    config: { ...fn.config, id: failureFunctionId(fn.id) },
    triggers: [],
    handler: (ctx) => {
      const data = failureEventDataSchema.parse(ctx.event.data);
      return onFailure({ ...ctx, event: data.event, events: [data.event], error: data.error, failedRunId: data.runId });
    },
  };
}
