/**
 * BulkJob: cancels or replays the runs of a function in a time range, or releases its held runs
 * once it is resumed, a page at a time, one page per alarm tick, so a bulk replay of thousands of
 * failed runs does not flood the system. One object per job; its progress is readable while it works.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { RUN_STATUSES } from "../run/state.ts";
import { decodeCursor, encodeCursor } from "../../src/core/db/cursor.ts";
import { listRuns } from "../../src/core/run-index/read.ts";
import type { Env } from "../../src/core/env.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { replayRun } from "../../src/core/runs/replay.ts";
import { runObject } from "../../src/core/objects.ts";

/** Runs handled per tick, and the pause between ticks. */
const BULK_PAGE = 50;
const BULK_TICK_MS = 1_000;

const bulkSpecSchema = z.object({
  action: z.enum(["cancel", "replay", "release"]),
  functionId: z.string().min(1),
  status: z.enum(RUN_STATUSES).optional(),
  from: z.number().int().optional(),
  to: z.number().int().optional(),
  fromStart: z.boolean().default(false),
  /** The first page is not handled before this moment (epoch ms). */
  notBefore: z.number().int().optional(),
});
export type BulkSpec = z.infer<typeof bulkSpecSchema>;

const progressSchema = z.object({
  spec: bulkSpecSchema,
  cursor: z.string().nullable(),
  done: z.boolean(),
  matched: z.number().int(),
  acted: z.number().int(),
  skipped: z.number().int(),
  newRunIds: z.array(z.string()),
});
/** Where a job is. */
export type BulkProgress = z.infer<typeof progressSchema>;

export class BulkJob extends DurableObject<Env> {
  /** Starts the job (once); the first page is handled at once. */
  async begin(spec: BulkSpec): Promise<BulkProgress> {
    const existing = await this.progress();
    if (existing) return existing;
    const progress: BulkProgress = {
      spec: parseInput(bulkSpecSchema, spec, "bulk job"),
      cursor: null,
      done: false,
      matched: 0,
      acted: 0,
      skipped: 0,
      newRunIds: [],
    };
    await this.ctx.storage.put("progress", progress);
    await this.ctx.storage.setAlarm(Math.max(Date.now(), progress.spec.notBefore ?? 0));
    return progress;
  }

  /** The job's progress, or null when there is no such job. */
  async progress(): Promise<BulkProgress | null> {
    const stored = await this.ctx.storage.get("progress");
    return stored === undefined ? null : progressSchema.parse(stored);
  }

  override async alarm(): Promise<void> {
    const progress = await this.progress();
    if (!progress || progress.done) return;
    const { spec } = progress;
    const page = await listRuns(this.env, {
      functionId: spec.functionId,
      status: spec.status,
      after: spec.from,
      before: spec.to,
      cursor: progress.cursor ? decodeCursor(progress.cursor) : undefined,
      limit: BULK_PAGE,
    });
    const results = await Promise.all(page.items.map((run) => this.act(spec, run.id)));
    for (const result of results) {
      if (result === null) progress.skipped++;
      else {
        progress.acted++;
        if (typeof result === "string" && progress.newRunIds.length < 1_000) progress.newRunIds.push(result);
      }
    }
    progress.matched += page.items.length;
    progress.cursor = page.next ? encodeCursor(page.next) : null;
    progress.done = !page.next;
    await this.ctx.storage.put("progress", progress);
    if (!progress.done) await this.ctx.storage.setAlarm(Date.now() + BULK_TICK_MS);
  }

  /** Cancels, replays or releases one run: true or the new run's id when done, null when it did not apply. */
  private async act(spec: BulkSpec, runId: string): Promise<true | string | null> {
    if (spec.action === "release") return (await runObject(this.env, runId).nudge()) ? true : null;
    if (spec.action === "cancel") {
      const result = await runObject(this.env, runId).cancel("cancelled in bulk");
      return result?.cancelled ? true : null;
    }
    const replay = await replayRun(this.env, runId, { fromStart: spec.fromStart });
    return replay.ok ? replay.runId : null;
  }
}
