/**
 * Runs the index holds as not ended and not merely waiting for an event: what the start-up pass
 * asks to resume (each RunObject then decides from its own history whether anything is due).
 */
import type { Env } from "../env.ts";
import { listRuns } from "./read.ts";

/** Looked at first to last: a run cut off mid-drive is the likeliest to be stuck. */
const RESUMABLE_STATUSES = ["running", "queued", "sleeping", "paused"] as const;

/** Up to `limit` run ids, running ones first, then queued, sleeping and paused; newest first within each. */
export async function resumableRunIds(env: Env, limit: number): Promise<string[]> {
  const ids: string[] = [];
  for (const status of RESUMABLE_STATUSES) {
    if (ids.length >= limit) break;
    // One status at a time, so each shard walks runs_by_status and stops at the limit.
    const page = await listRuns(env, { status, limit: limit - ids.length });
    ids.push(...page.items.map((run) => run.id));
  }
  return ids;
}
