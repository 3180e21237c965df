/**
 * `step.invoke` and `step.invokeMany`: child runs started and awaited by the engine. The SDK
 * checks the call and reports it; the parent's step ends when its children have.
 */
import { z } from "zod";
import { toMs, type Duration } from "./duration.ts";
import { tagsSchema } from "./tags.ts";
import { InvalidStepError } from "./errors.ts";
import type { InvokeSpec } from "./protocol.ts";

/** The function to invoke: its id, or the function itself. */
export type InvokeTarget = string | { id: string };

/** One child of `step.invoke` / `step.invokeMany`. */
export interface InvokeOptions {
  function: InvokeTarget;
  data?: Record<string, unknown>;
  /** The child's tags (up to 10), beside this run's, which it keeps. */
  tags?: string[];
}

/** What `step.invokeMany` resolves with: each child's outcome, in the order given. */
export type InvokeManyResult<T = unknown> = (
  { ok: true; runId: string; output: T } | { ok: false; runId: string; error: { name: string; message: string } }
)[];

/** Most children one step may start. */
const MAX_CHILDREN = 1_000;

function child(stepId: string, options: InvokeOptions): InvokeSpec["children"][number] {
  const functionId = typeof options?.function === "string" ? options.function : options?.function?.id;
  if (typeof functionId !== "string" || functionId.length === 0)
    throw new InvalidStepError(`step.invoke("${stepId}") needs a function (its id or the function)`);
  const data = options.data ?? {};
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new InvalidStepError(`step.invoke("${stepId}"): data must be an object`);
  const tags = tagsSchema.safeParse(options.tags ?? []);
  if (!tags.success) throw new InvalidStepError(`step.invoke("${stepId}"): ${z.prettifyError(tags.error)}`);
  return {
    functionId,
    data: JSON.parse(JSON.stringify(data)) as Record<string, unknown>,
    ...(tags.data.length > 0 ? { tags: tags.data } : {}),
  };
}

/** The spec of one `step.invoke`. */
export function invokeSpec(stepId: string, options: InvokeOptions & { timeout?: Duration }, now: number): InvokeSpec {
  const until = options.timeout === undefined ? undefined : now + toMs(options.timeout);
  return { children: [child(stepId, options)], many: false, ...(until !== undefined ? { until } : {}) };
}

/** The spec of one `step.invokeMany`. */
export function invokeManySpec(
  stepId: string,
  children: InvokeOptions[],
  options: { timeout?: Duration } | undefined,
  now: number,
): InvokeSpec {
  if (!Array.isArray(children) || children.length === 0 || children.length > MAX_CHILDREN) {
    throw new InvalidStepError(`step.invokeMany("${stepId}") starts 1 to ${MAX_CHILDREN} children`);
  }
  const until = options?.timeout === undefined ? undefined : now + toMs(options.timeout);
  return { children: children.map((c) => child(stepId, c)), many: true, ...(until !== undefined ? { until } : {}) };
}
