/**
 * Test helpers over the run index, which lives in run-index shards per function: a run's row
 * wherever it is, and every row matching a filter (all pages).
 */
import { env } from "cloudflare:test";
import { z } from "zod";
import { runIndexRowSchema, type RunIndexRow } from "../src/core/db/runs.ts";
import type { RunFilter } from "../src/core/run-index/filter.ts";
import { allIndexShards, listRuns } from "../src/core/run-index/read.ts";

/** Run `id`'s row in the index, or undefined while no shard holds it. */
export async function indexedRun(id: string): Promise<RunIndexRow | undefined> {
  const answers = await Promise.all((await allIndexShards(env)).map((shard) => shard.row(id)));
  return (
    z
      .array(runIndexRowSchema.nullable())
      .parse(answers)
      .find((row) => row !== null) ?? undefined
  );
}

/** Every indexed run matching `filter`, newest first, read `pageSize` at a time. */
export async function indexedRuns(
  filter: Omit<RunFilter, "cursor" | "limit"> = {},
  pageSize = 1_000,
): Promise<RunIndexRow[]> {
  const rows: RunIndexRow[] = [];
  let cursor: RunFilter["cursor"];
  for (;;) {
    const page = await listRuns(env, { ...filter, cursor, limit: pageSize });
    rows.push(...page.items);
    if (!page.next) return rows;
    cursor = page.next;
  }
}
