/**
 * Aggregates over the run index for the dashboard: runs per status for a filter, and per
 * function its runs, failure rate and durations over a window. Each query is served by an index
 * whose leading columns are the filter's (see migrations/), so none reads the whole table.
 */
import { z } from "zod";
import { whereOf } from "./cursor.ts";
import { runConditions, type RunFilter } from "./run-queries.ts";

const countRowSchema = z.object({ status: z.string(), n: z.number().int() });
const durationRowSchema = z.object({ d: z.number() });

/** How many runs match the filter (its status aside), per status. */
export async function countByStatus(db: D1Database, filter: Omit<RunFilter, "cursor" | "limit" | "status">): Promise<Record<string, number>> {
  const { where, params } = whereOf(runConditions(filter));
  const { results } = await db.prepare(`SELECT status, count(*) AS n FROM runs ${where} GROUP BY status`).bind(...params).all();
  return Object.fromEntries(results.map((row) => countRowSchema.parse(row)).map((row) => [row.status, row.n]));
}

/** One function's runs over a window. */
export interface FunctionStats {
  byStatus: Record<string, number>;
  total: number;
  /** Failed runs over ended ones (completed, failed, cancelled); null before any has ended. */
  failureRate: number | null;
  /** Durations of completed runs, creation to end, in ms; null when none completed. */
  p50Ms: number | null;
  p95Ms: number | null;
}

/** The duration at quantile `q` of a function's completed runs since `since`. */
async function durationQuantile(db: D1Database, functionId: string, since: number, completed: number, q: number): Promise<number | null> {
  if (completed === 0) return null;
  const offset = Math.min(completed - 1, Math.floor(q * completed));
  const row = await db
    .prepare(
      `SELECT ended_at - created_at AS d FROM runs
       WHERE function_id = ?1 AND status = 'completed' AND created_at >= ?2 AND ended_at IS NOT NULL
       ORDER BY d LIMIT 1 OFFSET ?3`,
    )
    .bind(functionId, since, offset)
    .first();
  return row ? durationRowSchema.parse(row).d : null;
}

/** A function's runs since `since`: counts per status, failure rate, p50 and p95 duration. */
export async function functionStats(db: D1Database, functionId: string, since: number): Promise<FunctionStats> {
  const byStatus = await countByStatus(db, { functionId, after: since });
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  const completed = byStatus.completed ?? 0;
  const failed = byStatus.failed ?? 0;
  const ended = completed + failed + (byStatus.cancelled ?? 0);
  const [p50Ms, p95Ms] = await Promise.all([
    durationQuantile(db, functionId, since, completed, 0.5),
    durationQuantile(db, functionId, since, completed, 0.95),
  ]);
  return { byStatus, total, failureRate: ended === 0 ? null : failed / ended, p50Ms, p95Ms };
}
