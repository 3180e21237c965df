/**
 * Writing the run index into its shards: each row to the shard of its function that its run id
 * hashes to, the rows of one shard in one call.
 */
import type { RunIndexRow } from "../db/runs.ts";
import type { Env } from "../env.ts";
import { groupBy } from "../lib/group.ts";
import { RUN_INDEX_SHARDS_PER_FUNCTION, runIndexShard } from "../objects.ts";
import { fnv1a } from "../lib/hash.ts";
import { MAX_ROWS_PER_PUT } from "./shard-protocol.ts";

/** The shard number of run `runId` among its function's shards. */
export const indexShardOf = (runId: string): number => fnv1a(runId) % RUN_INDEX_SHARDS_PER_FUNCTION;

/** Writes `rows` into their shards (a row older than the one a shard holds for its run changes nothing). */
export async function indexRuns(env: Env, rows: RunIndexRow[]): Promise<void> {
  const byShard = groupBy(rows, (row) => JSON.stringify([row.functionId, indexShardOf(row.id)]));
  await Promise.all(
    [...byShard.values()].flatMap((held) => {
      const [first] = held;
      if (!first) return [];
      const shard = runIndexShard(env, first.functionId, indexShardOf(first.id));
      const calls = [];
      for (let i = 0; i < held.length; i += MAX_ROWS_PER_PUT)
        calls.push(shard.indexRows(held.slice(i, i + MAX_ROWS_PER_PUT)));
      return calls;
    }),
  );
}
