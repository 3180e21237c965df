/**
 * Reading the run index from its shards (each function's runs are spread over
 * {@link RUN_INDEX_SHARDS_PER_FUNCTION} shards by run id): a page merges the shards' own
 * newest-first pages by the same keyset, so it is exact whatever the shard count; counts add up
 * the shards' counters; a function's figures merge their duration histograms.
 */
import { z } from "zod";
import { toPage, type Cursor } from "../db/cursor.ts";
import type { RunFilter } from "../db/run-queries.ts";
import { runIndexRowSchema, type RunIndexRow } from "../db/runs.ts";
import type { FunctionStats } from "../db/run-stats.ts";
import type { Env } from "../env.ts";
import { RUN_INDEX_SHARDS_PER_FUNCTION, runIndexShard } from "../objects.ts";
import { mergeStats, shardStatsSchema } from "./histogram.ts";
import type { ShardFilter } from "./shard-protocol.ts";

/** Every shard of the functions `functionIds`. */
const shardsOf = (env: Env, functionIds: string[]) =>
  functionIds.flatMap((functionId) =>
    Array.from({ length: RUN_INDEX_SHARDS_PER_FUNCTION }, (_, shard) => runIndexShard(env, functionId, shard)),
  );

/** The filter as a shard takes it: only the fields that are set. */
function shardFilter(filter: Omit<RunFilter, "cursor" | "limit">): ShardFilter {
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined));
}

const newestFirst = (a: RunIndexRow, b: RunIndexRow): number =>
  b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * A newest-first page of the runs of `functionIds` matching `filter`, and the next page's cursor.
 * Each shard answers its own page after the cursor; the first `limit` of their merge are the
 * first `limit` overall, since no shard's later rows can come before its earlier ones.
 */
export async function listIndexedRuns(
  env: Env,
  functionIds: string[],
  filter: RunFilter,
): Promise<{ items: RunIndexRow[]; next?: Cursor }> {
  const { cursor, limit, ...rest } = filter;
  const asked = shardFilter(rest);
  const pages = await Promise.all(shardsOf(env, functionIds).map((shard) => shard.page(asked, cursor, limit)));
  const rows = z.array(runIndexRowSchema).parse(pages.flat()).sort(newestFirst);
  return toPage(rows.slice(0, limit + 1), limit, (run) => ({ at: run.createdAt, id: run.id }));
}

/** How many runs of `functionIds` match `filter` (its status aside), per status. */
export async function countIndexedRuns(
  env: Env,
  functionIds: string[],
  filter: Omit<RunFilter, "cursor" | "limit" | "status">,
): Promise<Record<string, number>> {
  const asked = shardFilter(filter);
  const answers = await Promise.all(shardsOf(env, functionIds).map((shard) => shard.counts(asked)));
  const counts: Record<string, number> = {};
  for (const answer of z.array(z.record(z.string(), z.number().int())).parse(answers))
    for (const [status, n] of Object.entries(answer)) counts[status] = (counts[status] ?? 0) + n;
  return counts;
}

/** Each of `functionIds`' runs created since `since`: per status, failure rate, p50 and p95 duration. */
export async function indexedStats(
  env: Env,
  functionIds: string[],
  since: number,
): Promise<Map<string, FunctionStats>> {
  const figures = await Promise.all(
    functionIds.map(async (functionId) => {
      const answers = await Promise.all(shardsOf(env, [functionId]).map((shard) => shard.stats(since)));
      return [functionId, mergeStats(z.array(shardStatsSchema).parse(answers))] as const;
    }),
  );
  return new Map(figures.filter(([, stats]) => stats.total > 0));
}
