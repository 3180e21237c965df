/**
 * Run tags: short labels a run is started with (`invoke(fn, data, { tags })`, `step.invoke`), kept
 * by its child runs, and filterable in the run index (`GET /v1/runs?tag=`, the dashboard).
 */
import { z } from "zod";

/** Most tags a run carries, its own and those its parent handed down together. */
export const MAX_TAGS = 10;

export const tagSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\s,]+$/, "a tag has no spaces or commas");
export const tagsSchema = z.array(tagSchema).max(MAX_TAGS, `a run has at most ${MAX_TAGS} tags`);

/**
 * A child's tags: its parent's, then its own, each once, and the first {@link MAX_TAGS} of them
 * (a child's own tags past the limit, with its parent's, are dropped: its parent's come first).
 */
export function mergeTags(parent: string[] | undefined, own: string[] | undefined): string[] {
  return [...new Set([...(parent ?? []), ...(own ?? [])])].slice(0, MAX_TAGS);
}
