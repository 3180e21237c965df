/**
 * Reading the run index from its shards (each function's runs are spread over
 * {@link RUN_INDEX_SHARDS_PER_FUNCTION} shards by run id): a page merges the shards' own
 * newest-first pages by the same keyset, so it is exact whatever the shard count; counts add up
 * the shards' counters; a function's figures merge their duration histograms.
 */
import { z } from "zod";
import { toPage, type Cursor } from "../db/cursor.ts";
import type { RunFilter } from "./filter.ts";
import { runIndexRowSchema, type RunIndexRow } from "../db/runs.ts";
import type { FunctionStats } from "./histogram.ts";
import type { Env } from "../env.ts";
import { RUN_INDEX_SHARDS_PER_FUNCTION, runIndexShard } from "../objects.ts";
import { indexedFunctionIds } from "./functions.ts";
import { mergeStats, shardStatsSchema, type ShardStats } from "./histogram.ts";
import type { ShardFilter } from "./shard-protocol.ts";

/** Every shard of the functions `functionIds`. */
const shardsOf = (env: Env, functionIds: string[]) =>
  functionIds.flatMap((functionId) =>
    Array.from({ length: RUN_INDEX_SHARDS_PER_FUNCTION }, (_, shard) => runIndexShard(env, functionId, shard)),
  );

/** Every shard of every function with runs in the index. */
export const allIndexShards = async (env: Env) => shardsOf(env, await indexedFunctionIds(env.DB));

/** The filter as a shard takes it: only the fields that are set, less the function (the shard's own). */
function shardFilter(filter: Omit<RunFilter, "cursor" | "limit">): ShardFilter {
  const { functionId: _functionId, ...rest } = filter;
  return Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
}

const newestFirst = (a: RunIndexRow, b: RunIndexRow): number =>
  b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * The functions a read covers: the one it names, or every one with runs in the index. A function
 * with no runs there is not asked (asking would make its shards).
 */
async function functionsOf(env: Env, functionId: string | undefined): Promise<string[]> {
  const indexed = await indexedFunctionIds(env.DB);
  return functionId === undefined ? indexed : indexed.filter((id) => id === functionId);
}

/**
 * A newest-first page of the runs matching `filter`, and the next page's cursor. Each shard
 * answers its own page after the cursor; the first `limit` of their merge are the first `limit`
 * overall, since no shard's later rows can come before its earlier ones.
 */
export async function listRuns(env: Env, filter: RunFilter): Promise<{ items: RunIndexRow[]; next?: Cursor }> {
  const { cursor, limit, ...rest } = filter;
  const asked = shardFilter(rest);
  const shards = shardsOf(env, await functionsOf(env, filter.functionId));
  const pages = await Promise.all(shards.map((shard) => shard.page(asked, cursor, limit)));
  const rows = z.array(runIndexRowSchema).parse(pages.flat()).sort(newestFirst);
  return toPage(rows.slice(0, limit + 1), limit, (run) => ({ at: run.createdAt, id: run.id }));
}

/** How many runs match `filter` (its status aside), per status. */
export async function countRuns(
  env: Env,
  filter: Omit<RunFilter, "cursor" | "limit" | "status">,
): Promise<Record<string, number>> {
  const asked = shardFilter(filter);
  const shards = shardsOf(env, await functionsOf(env, filter.functionId));
  const answers = await Promise.all(shards.map((shard) => shard.counts(asked)));
  const counts: Record<string, number> = {};
  for (const answer of z.array(z.record(z.string(), z.number().int())).parse(answers))
    for (const [status, n] of Object.entries(answer)) counts[status] = (counts[status] ?? 0) + n;
  return counts;
}

/**
 * Each function's runs created since `since` (or just `functionId`'s), those with any: per
 * status, failure rate, p50 and p95 duration.
 */
export async function runStats(env: Env, since: number, functionId?: string): Promise<Map<string, FunctionStats>> {
  const answers = await shardStats(env, since, functionId);
  return new Map(
    [...answers].map(([id, shards]) => [id, mergeStats(shards)] as const).filter(([, stats]) => stats.total > 0),
  );
}

/** Each function's shards' raw figures (runs per status, duration buckets) for runs created since `since`. */
export async function shardStats(env: Env, since: number, functionId?: string): Promise<Map<string, ShardStats[]>> {
  const figures = await Promise.all(
    (await functionsOf(env, functionId)).map(async (id) => {
      const answers = await Promise.all(shardsOf(env, [id]).map((shard) => shard.stats(since)));
      return [id, z.array(shardStatsSchema).parse(answers)] as const;
    }),
  );
  return new Map(figures);
}

/** The runs each of `eventIds` started (at most `perEvent` each, oldest first), by event id. */
export async function runsForEvents(env: Env, eventIds: string[], perEvent = 20): Promise<Map<string, RunIndexRow[]>> {
  if (eventIds.length === 0) return new Map();
  const shards = shardsOf(env, await indexedFunctionIds(env.DB));
  const answers = await Promise.all(shards.map((shard) => shard.forEvents(eventIds, perEvent)));
  const rows = z
    .array(runIndexRowSchema)
    .parse(answers.flat())
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byEvent = new Map<string, RunIndexRow[]>();
  for (const row of rows) {
    const held = byEvent.get(row.eventId) ?? [];
    if (held.length < perEvent) byEvent.set(row.eventId, [...held, row]);
  }
  return byEvent;
}
