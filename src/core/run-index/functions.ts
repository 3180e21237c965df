/**
 * D1's list of the functions whose runs are in run-index shards (migration 0012): a listing of
 * every function's runs reads the shards of these. Each shard notes its function once, with its
 * first row, so the list is written a few times per function, never per run.
 */
import { z } from "zod";

/** Notes that `functionId` has runs in the index (again is harmless). */
export async function noteIndexedFunction(db: D1Database, functionId: string, at: number): Promise<void> {
  await db
    .prepare(
      "INSERT INTO indexed_functions (function_id, first_at) VALUES (?1, ?2) ON CONFLICT (function_id) DO NOTHING",
    )
    .bind(functionId, at)
    .run();
}

const rowSchema = z.object({ function_id: z.string() });

/** Every function with runs in the index. */
export async function indexedFunctionIds(db: D1Database): Promise<string[]> {
  const { results } = await db.prepare("SELECT function_id FROM indexed_functions ORDER BY function_id").all();
  return results.map((row) => rowSchema.parse(row).function_id);
}
