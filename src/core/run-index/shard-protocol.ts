/**
 * What a run-index shard is asked over RPC, as schemas: the rows it takes, and the filter,
 * position and size of the pages and counts it answers (see durable-objects/run-index/).
 */
import { z } from "zod";
import { runIndexRowSchema } from "../db/runs.ts";

/** Most rows one call hands a shard. */
export const MAX_ROWS_PER_PUT = 500;
/** Most rows one page asks a shard for. */
export const MAX_PAGE_ROWS = 1_000;

export const indexRowsSchema = z.array(runIndexRowSchema).max(MAX_ROWS_PER_PUT);

/** A listing's filter, as one shard applies it (every run of a shard is of its function). */
export const shardFilterSchema = z.object({
  status: z.string().optional(),
  eventId: z.string().optional(),
  eventName: z.string().optional(),
  after: z.number().int().optional(),
  before: z.number().int().optional(),
  tag: z.string().max(128).optional(),
  metadataKey: z.string().max(128).optional(),
});
export type ShardFilter = z.infer<typeof shardFilterSchema>;

export const shardCursorSchema = z.object({ at: z.number().int(), id: z.string() }).optional();
export const pageLimitSchema = z.number().int().min(1).max(MAX_PAGE_ROWS);
