/**
 * Aggregates over the run index for the dashboard: runs per status for a filter, and per
 * function its runs, failure rate and durations over a window. Each query is served by an index
 * whose leading columns are the filter's (see migrations/), so none reads the whole table.
 */
import { z } from "zod";
import { whereOf } from "./cursor.ts";
import { runConditions, type RunFilter } from "./run-queries.ts";

const countRowSchema = z.object({ status: z.string(), n: z.number().int() });

/** How many runs match the filter (its status aside), per status. */
export async function countByStatus(
  db: D1Database,
  filter: Omit<RunFilter, "cursor" | "limit" | "status">,
): Promise<Record<string, number>> {
  const { where, params } = whereOf(runConditions(filter));
  const { results } = await db
    .prepare(`SELECT status, count(*) AS n FROM runs ${where} GROUP BY status`)
    .bind(...params)
    .all();
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

const statusRowSchema = z.object({ function_id: z.string(), status: z.string(), n: z.number().int() });
const rankRowSchema = z.object({
  function_id: z.string(),
  d: z.number(),
  rn: z.number().int(),
  total: z.number().int(),
});

/** The figures of a function with no runs in the window. */
export const emptyStats = (): FunctionStats => ({
  byStatus: {},
  total: 0,
  failureRate: null,
  p50Ms: null,
  p95Ms: null,
});

/**
 * Every function's runs since `since` (or just `functionId`'s), in two queries whatever the
 * number of functions: counts per status, and the p50/p95 duration of completed runs by nearest
 * rank (the smallest duration with at least that share of runs at or below it).
 */
export async function statsByFunction(
  db: D1Database,
  since: number,
  functionId?: string,
): Promise<Map<string, FunctionStats>> {
  const only = functionId === undefined ? "" : "AND function_id = ?2";
  const params = functionId === undefined ? [since] : [since, functionId];
  const [counts, ranks] = await db.batch([
    db
      .prepare(
        `SELECT function_id, status, count(*) AS n FROM runs WHERE created_at >= ?1 ${only} GROUP BY function_id, status`,
      )
      .bind(...params),
    db
      .prepare(
        `SELECT function_id, d, rn, total FROM (
          SELECT function_id, ended_at - created_at AS d,
            ROW_NUMBER() OVER (PARTITION BY function_id ORDER BY ended_at - created_at) AS rn,
            count(*) OVER (PARTITION BY function_id) AS total
          FROM runs WHERE status = 'completed' AND created_at >= ?1 AND ended_at IS NOT NULL ${only}
        ) WHERE rn = (total + 1) / 2 OR rn = (total * 19 + 19) / 20`,
      )
      .bind(...params),
  ]);
  const stats = new Map<string, FunctionStats>();
  const of = (id: string): FunctionStats => stats.get(id) ?? (stats.set(id, emptyStats()), stats.get(id)!);
  for (const row of (counts?.results ?? []).map((raw) => statusRowSchema.parse(raw))) {
    const entry = of(row.function_id);
    entry.byStatus[row.status] = row.n;
    entry.total += row.n;
  }
  for (const entry of stats.values()) {
    const ended = (entry.byStatus.completed ?? 0) + (entry.byStatus.failed ?? 0) + (entry.byStatus.cancelled ?? 0);
    entry.failureRate = ended === 0 ? null : (entry.byStatus.failed ?? 0) / ended;
  }
  for (const row of (ranks?.results ?? []).map((raw) => rankRowSchema.parse(raw))) {
    const entry = of(row.function_id);
    if (row.rn === Math.floor((row.total + 1) / 2)) entry.p50Ms = row.d;
    if (row.rn === Math.floor((row.total * 19 + 19) / 20)) entry.p95Ms = row.d;
  }
  return stats;
}

/** One function's runs since `since`: counts per status, failure rate, p50 and p95 duration. */
export async function functionStats(db: D1Database, functionId: string, since: number): Promise<FunctionStats> {
  return (await statsByFunction(db, since, functionId)).get(functionId) ?? emptyStats();
}
