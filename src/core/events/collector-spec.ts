/**
 * What an EventCollector does with the events routing hands it: debounce (start one run with the
 * last event) or batch (start one run with all of them). Routing builds it from a function's
 * config; the collector checks it on arrival.
 */
import { z } from "zod";
import { toMs } from "../../../sdk/duration.ts";
import type { FunctionConfig } from "../../../sdk/function.ts";

export const collectorSpecSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("debounce"),
    functionId: z.string(),
    periodMs: z.number().int().min(1),
    timeoutMs: z.number().int().min(1).optional(),
  }),
  z.object({
    kind: z.literal("batch"),
    functionId: z.string(),
    maxSize: z.number().int().min(1).max(1_000),
    timeoutMs: z.number().int().min(1),
  }),
]);
export type CollectorSpec = z.infer<typeof collectorSpecSchema>;

/** The collector spec of a function that debounces or batches its events; undefined otherwise. */
export function collectorSpecOf(functionId: string, config: FunctionConfig): CollectorSpec | undefined {
  if (config?.debounce)
    return {
      kind: "debounce",
      functionId,
      periodMs: toMs(config.debounce.period),
      ...(config.debounce.timeout !== undefined ? { timeoutMs: toMs(config.debounce.timeout) } : {}),
    };
  if (config?.batchEvents)
    return {
      kind: "batch",
      functionId,
      maxSize: config.batchEvents.maxSize,
      timeoutMs: toMs(config.batchEvents.timeout),
    };
  return undefined;
}
