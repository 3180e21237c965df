/**
 * The run half of the start-up pass: asks the RunObjects the index holds as live to re-arm their
 * alarm when it is late or missing (see RunObject.resume). Bounded per pass, and a few calls at a
 * time, so a Stepwise with a million sleeping runs pays for a few hundred calls, not a million.
 */
import { resumableRunIds } from "../../src/core/run-index/live-runs.ts";
import type { Env } from "../../src/core/env.ts";
import { runObject } from "../../src/core/objects.ts";

/** Runs one pass asks at most. */
const RESUME_RUNS_LIMIT = 500;
/** Calls in flight at once. */
const CONCURRENCY = 20;

/** What a pass did: runs asked, and how many of them had their alarm moved earlier or armed. */
export interface ResumePass {
  asked: number;
  rearmed: number;
  failed: number;
}

/** Asks up to `limit` live runs to resume. */
export async function resumeRuns(env: Env, limit = RESUME_RUNS_LIMIT): Promise<ResumePass> {
  const ids = await resumableRunIds(env, limit);
  const pass: ResumePass = { asked: ids.length, rearmed: 0, failed: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        // A stub per call: it belongs to this object's context, and a failed call breaks only itself.
        if ((await runObject(env, id).resume()).rearmed) pass.rearmed++;
      } catch (error) {
        pass.failed++;
        if (pass.failed === 1)
          console.error(
            `stepwise: run ${id} could not be asked to resume after a restart; its own alarm still does`,
            error,
          );
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return pass;
}
