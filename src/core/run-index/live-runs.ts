/**
 * Runs the index holds as not ended and not merely waiting for an event: what the start-up pass
 * asks to resume (each RunObject then decides from its own history whether anything is due).
 */
import { z } from "zod";

/** Looked at first to last: a run cut off mid-drive is the likeliest to be stuck. */
const RESUMABLE_STATUSES = ["running", "queued", "sleeping"] as const;

const idRowSchema = z.object({ id: z.string() });

/** Up to `limit` run ids, running ones first, then queued, then sleeping; newest first within each. */
export async function resumableRunIds(db: D1Database, limit: number): Promise<string[]> {
  const ids: string[] = [];
  for (const status of RESUMABLE_STATUSES) {
    if (ids.length >= limit) break;
    // One status at a time, so each query walks runs_by_status (status, created_at DESC) and stops at its limit.
    const { results } = await db
      .prepare("SELECT id FROM runs WHERE status = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2")
      .bind(status, limit - ids.length)
      .all();
    ids.push(...results.map((row) => idRowSchema.parse(row).id));
  }
  return ids;
}
