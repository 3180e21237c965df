/**
 * Runs indexed in D1 before the index moved into run-index shards. D1's `runs` table stays until
 * it is empty: the start-up pass and each cron tick move a bounded batch at a time into the
 * shards of their functions, as they were, then delete them from D1 (unless a newer row of the run
 * came meanwhile, from a RunObject of the older release during a gradual deployment: that one is
 * moved by the next batch). The waits upgrade pass (src/waits/relisten.ts) reads the runs from
 * the shards once this is done.
 */
import { z } from "zod";
import { runFromRow } from "./filter.ts";
import type { Env } from "../env.ts";
import { indexRuns } from "./write.ts";
import { legacyRows } from "../db/legacy-rows.ts";

/** Runs moved per batch, and batches per pass (a pass moves at most 10,000). */
const MOVE_BATCH = 500;
const BATCHES_PER_PASS = 20;

const keySchema = z.object({ id: z.string(), updated_at: z.number() });

/** Moves one batch; returns how many rows left D1 (0 when the table is empty or gone). */
async function moveBatch(env: Env): Promise<number> {
  const rows = await legacyRows(env.DB.prepare("SELECT * FROM runs ORDER BY id LIMIT ?1").bind(MOVE_BATCH));
  if (rows.length === 0) return 0;
  const readable = rows.flatMap((row) => {
    try {
      return [runFromRow(row)];
    } catch (error) {
      // A row that does not read back could never be listed; it is logged as it goes.
      console.error(`stepwise: a D1 run index row cannot be read and is dropped`, error, row);
      return [];
    }
  });
  await indexRuns(env, readable);
  const keys = rows.map((row) => keySchema.safeParse(row)).flatMap((key) => (key.success ? [key.data] : []));
  const unreadable = rows.map((row) => String(row.id)).filter((id) => !keys.some((key) => key.id === id));
  await env.DB.batch([
    env.DB.prepare(
      `DELETE FROM runs WHERE (id, updated_at) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))`,
    ).bind(JSON.stringify(keys.map((key) => [key.id, key.updated_at]))),
    env.DB.prepare("DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(unreadable)),
  ]);
  return rows.length;
}

/** One pass of moving; returns how many runs left D1. */
export async function moveLegacyRuns(env: Env): Promise<number> {
  let moved = 0;
  for (let batch = 0; batch < BATCHES_PER_PASS; batch++) {
    const n = await moveBatch(env);
    moved += n;
    if (n < MOVE_BATCH) break;
  }
  return moved;
}
