/**
 * The upgrade to routing by listened names (migration 0008). Before it, every event went to the
 * WaitIndex of its name; after it, only names in `wait_names` do, and a WaitIndex writes its name
 * there when a wait registers. Waits registered before the upgrade never wrote theirs, so while
 * `wait_names_upgrade` has its row the router still delivers every name, and each cron tick asks
 * a page of the runs still going to register their waits again (read from the run index's
 * shards, once D1's old index has moved into them). When none is left, the row goes.
 */
import { z } from "zod";
import type { Env } from "../core/env.ts";
import { runObject } from "../core/objects.ts";
import { listRuns } from "../core/run-index/read.ts";
import { legacyRows } from "../core/db/legacy-rows.ts";

/** Runs asked per tick. */
const RELISTEN_PAGE = 100;

/** The statuses of runs that may hold waits registered before the upgrade, visited in this order. */
const LIVE_STATUSES = ["waiting", "sleeping", "running", "queued"] as const;

const cursorSchema = z.object({ after: z.string() });
/** How far the pass has come: the status it is at, and the last run asked in it. */
const progressSchema = z.object({ s: z.number().int().min(0), at: z.number().optional(), id: z.string().optional() });
type Progress = z.infer<typeof progressSchema>;

/** The stored progress; anything else (the empty start, or a cursor of an older release) starts over, which is harmless. */
function readProgress(after: string): Progress {
  try {
    return progressSchema.parse(JSON.parse(after));
  } catch {
    return { s: 0 };
  }
}

/** Whether D1's old run index still holds rows (they are moving into the shards; the pass waits for them). */
async function legacyRunsLeft(db: D1Database): Promise<boolean> {
  return (await legacyRows(db.prepare("SELECT 1 FROM runs LIMIT 1"))).length > 0;
}

/**
 * One page of the upgrade pass; `done` once no upgrade is under way. It reads the runs still going
 * from the run index's shards, so it waits until D1's old index has moved into them.
 */
export async function relistenOnce(env: Env): Promise<{ asked: number; done: boolean }> {
  const cursor = await env.DB.prepare("SELECT after FROM wait_names_upgrade WHERE id = 1").first();
  if (!cursor) return { asked: 0, done: true };
  if (await legacyRunsLeft(env.DB)) return { asked: 0, done: false };
  let progress = readProgress(cursorSchema.parse(cursor).after);
  for (let status = LIVE_STATUSES[progress.s]; status !== undefined; status = LIVE_STATUSES[progress.s]) {
    const after =
      progress.at !== undefined && progress.id !== undefined ? { at: progress.at, id: progress.id } : undefined;
    const page = await listRuns(env, { status, cursor: after, limit: RELISTEN_PAGE });
    if (page.items.length === 0) {
      progress = { s: progress.s + 1 };
      continue;
    }
    const asked = await Promise.allSettled(page.items.map((run) => runObject(env, run.id).relisten()));
    // The page goes as far as the first run that did not answer; the next tick asks it again.
    const failed = asked.findIndex((result) => result.status === "rejected");
    if (failed !== -1)
      console.error(
        `stepwise: run ${page.items[failed]!.id} could not register its waits again; the next tick asks again`,
        (asked[failed] as PromiseRejectedResult).reason,
      );
    const reached = failed === -1 ? page.items.at(-1) : failed > 0 ? page.items[failed - 1] : undefined;
    if (failed === -1 && !page.next) progress = { s: progress.s + 1 };
    else if (reached) progress = { s: progress.s, at: reached.createdAt, id: reached.id };
    await env.DB.prepare("UPDATE wait_names_upgrade SET after = ?1 WHERE id = 1").bind(JSON.stringify(progress)).run();
    return { asked: page.items.length, done: false };
  }
  await env.DB.prepare("DELETE FROM wait_names_upgrade").run();
  return { asked: 0, done: true };
}
