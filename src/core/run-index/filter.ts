/**
 * What a listing of the run index can be narrowed by, and the SQL conditions each filter puts on
 * a shard's `runs` table (durable-objects/run-index/index-store.ts); its rows read back validated.
 */
import { z } from "zod";
import type { Condition, Cursor } from "../db/cursor.ts";
import type { RunIndexRow } from "../db/runs.ts";

/** What a runs listing can be narrowed by. */
export interface RunFilter {
  functionId?: string | undefined;
  status?: string | undefined;
  eventId?: string | undefined;
  /** The name of the event that started the run. */
  eventName?: string | undefined;
  /** Only runs created at or after this time (epoch ms). */
  after?: number | undefined;
  /** Only runs created before this time (epoch ms). */
  before?: number | undefined;
  /** Only runs with this tag. */
  tag?: string | undefined;
  /** Only runs whose metadata has this key. */
  metadataKey?: string | undefined;
  cursor?: Cursor | undefined;
  limit: number;
}

const rowSchema = z.object({
  id: z.string(),
  function_id: z.string(),
  status: z.string(),
  event_id: z.string(),
  event_name: z.string(),
  attempt: z.number().int(),
  parent_run_id: z.string().nullable(),
  error: z.string().nullable(),
  created_at: z.number().int(),
  ended_at: z.number().int().nullable(),
  updated_at: z.number().int(),
});

/** Reads a stored row back, validated. */
export function runFromRow(row: unknown): RunIndexRow {
  const r = rowSchema.parse(row);
  return {
    id: r.id,
    functionId: r.function_id,
    status: r.status,
    eventId: r.event_id,
    eventName: r.event_name,
    attempt: r.attempt,
    parentRunId: r.parent_run_id,
    error: r.error,
    createdAt: r.created_at,
    endedAt: r.ended_at,
    updatedAt: r.updated_at,
  };
}

/** The conditions a filter puts on the runs table. */
export function runConditions(filter: Omit<RunFilter, "cursor" | "limit">): Condition[] {
  const conditions: Condition[] = [];
  if (filter.functionId !== undefined) conditions.push(["function_id = ?", filter.functionId]);
  if (filter.status !== undefined) conditions.push(["status = ?", filter.status]);
  if (filter.eventId !== undefined) conditions.push(["event_id = ?", filter.eventId]);
  if (filter.eventName !== undefined) conditions.push(["event_name = ?", filter.eventName]);
  if (filter.after !== undefined) conditions.push(["created_at >= ?", filter.after]);
  if (filter.before !== undefined) conditions.push(["created_at < ?", filter.before]);
  // A shard's labels (index-store.ts): the runs of one tag or metadata key, by its primary key.
  if (filter.tag !== undefined)
    conditions.push(["id IN (SELECT id FROM run_labels WHERE kind = 't' AND label = ?)", filter.tag]);
  if (filter.metadataKey !== undefined)
    conditions.push(["id IN (SELECT id FROM run_labels WHERE kind = 'm' AND label = ?)", filter.metadataKey]);
  return conditions;
}
