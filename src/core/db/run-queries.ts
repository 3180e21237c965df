/**
 * Reading the run index: filtered, newest-first pages with keyset cursors. Each filter
 * combination is served by one of the indexes in migrations/.
 */
import { groupBy } from "../lib/group.ts";
import { z } from "zod";
import { pageQuery, toPage, type Condition, type Cursor } from "./cursor.ts";
import type { RunIndexRow } from "./runs.ts";

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
  return conditions;
}

/** A page of runs, newest first, and the cursor of the next page when there is one. */
export async function listRuns(db: D1Database, filter: RunFilter): Promise<{ items: RunIndexRow[]; next?: Cursor }> {
  const conditions = runConditions(filter);
  const query = pageQuery(db, {
    table: "runs",
    columns: "*",
    timeColumn: "created_at",
    conditions,
    cursor: filter.cursor,
    limit: filter.limit,
  });
  const { results } = await query.all();
  return toPage(results.map(runFromRow), filter.limit, (run) => ({ at: run.createdAt, id: run.id }));
}

/** Whether the index holds a run with this id. */
export async function runExists(db: D1Database, id: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 FROM runs WHERE id = ?1").bind(id).first()) !== null;
}

/** The runs each of `eventIds` started (at most `perEvent` each, oldest first), by event id. */
export async function runsForEvents(
  db: D1Database,
  eventIds: string[],
  perEvent = 20,
): Promise<Map<string, RunIndexRow[]>> {
  if (eventIds.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT id, function_id, status, event_id, event_name, attempt, parent_run_id, error, created_at, ended_at, updated_at FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY created_at, id) AS n FROM runs WHERE event_id IN (SELECT value FROM json_each(?1))
      ) WHERE n <= ?2 ORDER BY created_at, id`,
    )
    .bind(JSON.stringify(eventIds), perEvent)
    .all();
  return groupBy(results.map(runFromRow), (run) => run.eventId);
}
