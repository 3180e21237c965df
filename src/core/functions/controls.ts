/**
 * Pausing, draining and resuming a function: the one place every door (HTTP, RPC, dashboard)
 * changes a function's control. The control lives in D1 (db/function-controls.ts) and reaches
 * each run through the catalogue, whose generation the change bumps; resuming then has a BulkJob
 * release the held runs, page by page.
 */
import type { Env } from "../env.ts";
import type { ControlMode } from "../../../sdk/function-control.ts";
import { clearControl, writeControl, type FunctionControl } from "../db/function-controls.ts";
import { newId } from "../lib/ids.ts";
import { bulkJob } from "../objects.ts";
import { announceCatalogOrLog } from "./catalog-generation.ts";
import { forgetRemoteFunctions } from "./catalog.ts";

/**
 * The release pass starts this long after a resume, so that every isolate's copy of the catalogue
 * (trusted for 2 s) has seen it: a run nudged sooner could read the old copy and hold again.
 */
const RELEASE_AFTER_MS = 3_000;

/** Pauses (`paused`) or drains (`draining`) a function; answers its control as stored. */
export async function controlFunction(
  env: Env,
  functionId: string,
  mode: ControlMode,
  reason?: string,
): Promise<FunctionControl> {
  const control: FunctionControl = { mode, since: Date.now(), ...(reason ? { reason } : {}) };
  await writeControl(env.DB, functionId, control);
  await changed(env);
  return control;
}

/**
 * Resumes a paused or draining function; its held runs are released by a BulkJob (its id
 * answered, to follow with `GET /v1/bulk/:id`). `resumed` is false when it was neither.
 */
export async function resumeFunction(env: Env, functionId: string): Promise<{ resumed: boolean; jobId?: string }> {
  if (!(await clearControl(env.DB, functionId))) return { resumed: false };
  await changed(env);
  const jobId = newId();
  await bulkJob(env, jobId).begin({
    action: "release",
    functionId,
    status: "paused",
    fromStart: false,
    notBefore: Date.now() + RELEASE_AFTER_MS,
  });
  return { resumed: true, jobId };
}

/** This isolate reads the catalogue again at once; the EventShards learn the new generation. */
async function changed(env: Env): Promise<void> {
  forgetRemoteFunctions();
  await announceCatalogOrLog(env);
}
