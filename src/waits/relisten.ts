/**
 * The upgrade to routing by listened names (migration 0008). Before it, every event went to the
 * WaitIndex of its name; after it, only names in `wait_names` do, and a WaitIndex writes its name
 * there when a wait registers. Waits registered before the upgrade never wrote theirs, so while
 * `wait_names_upgrade` has its row the router still delivers every name, and each cron tick asks
 * a page of the runs still going to register their waits again. When none is left, the row goes.
 */
import { z } from "zod";
import type { Env } from "../core/env.ts";
import { runObject } from "../core/objects.ts";

/** Runs asked per tick. */
const RELISTEN_PAGE = 100;

const cursorSchema = z.object({ after: z.string() });
const idSchema = z.object({ id: z.string() });

/** One page of the upgrade pass; `done` once no upgrade is under way. */
export async function relistenOnce(env: Env): Promise<{ asked: number; done: boolean }> {
  const cursor = await env.DB.prepare("SELECT after FROM wait_names_upgrade WHERE id = 1").first();
  if (!cursor) return { asked: 0, done: true };
  const { after } = cursorSchema.parse(cursor);
  const page = await env.DB.prepare("SELECT id FROM runs WHERE ended_at IS NULL AND id > ?1 ORDER BY id LIMIT ?2")
    .bind(after, RELISTEN_PAGE)
    .all();
  const ids = page.results.map((row) => idSchema.parse(row).id);
  if (ids.length === 0) {
    await env.DB.prepare("DELETE FROM wait_names_upgrade").run();
    return { asked: 0, done: true };
  }
  const asked = await Promise.allSettled(ids.map((id) => runObject(env, id).relisten()));
  // The page goes as far as the first run that did not answer; the next tick asks it again.
  const failed = asked.findIndex((result) => result.status === "rejected");
  if (failed !== -1)
    console.error(
      `stepwise: run ${ids[failed]} could not register its waits again; the next tick asks again`,
      (asked[failed] as PromiseRejectedResult).reason,
    );
  const reached = failed === -1 ? ids.at(-1) : failed > 0 ? ids[failed - 1] : undefined;
  if (reached !== undefined)
    await env.DB.prepare("UPDATE wait_names_upgrade SET after = ?1 WHERE id = 1").bind(reached).run();
  return { asked: ids.length, done: false };
}
