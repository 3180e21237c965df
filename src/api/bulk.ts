/**
 * Bulk actions on runs: `POST /v1/bulk/cancel` and `POST /v1/bulk/replay` over a function's runs
 * in a time range (and for replay, a status), carried out at a steady pace by a BulkJob object;
 * `GET /v1/bulk/:id` follows it.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Env } from "../core/env.ts";
import { newId } from "../core/lib/ids.ts";
import { readBody } from "./body.ts";
import { errorResponse } from "./errors.ts";
import { timeSchema } from "../core/db/paging.ts";
import { bulkJob } from "../core/objects.ts";
import { REPLAYABLE_STATUSES } from "../../sdk/run-status.ts";

const range = {
  function: z.string().min(1),
  from: timeSchema.optional(),
  to: timeSchema.optional(),
};
const cancelSchema = z.object(range).strict();
const replaySchema = z
  .object({ ...range, status: z.enum(REPLAYABLE_STATUSES).default("failed"), fromStart: z.boolean().default(false) })
  .strict();

const job = (env: Env, id: string) => bulkJob(env, id);

export const bulkApi = new Hono<{ Bindings: Env }>()
  .post("/cancel", async (c) => {
    const body = await readBody(c, cancelSchema);
    if (!body.ok) return body.response;
    const id = newId();
    const { function: functionId, from, to } = body.value;
    await job(c.env, id).begin({ action: "cancel", functionId, from, to, fromStart: false });
    return c.json({ jobId: id }, 202);
  })
  .post("/replay", async (c) => {
    const body = await readBody(c, replaySchema);
    if (!body.ok) return body.response;
    const id = newId();
    const { function: functionId, ...rest } = body.value;
    await job(c.env, id).begin({ action: "replay", functionId, ...rest });
    return c.json({ jobId: id }, 202);
  })
  .get("/:id", async (c) => {
    const progress = await job(c.env, c.req.param("id")).progress();
    return progress
      ? c.json({ jobId: c.req.param("id"), ...progress })
      : errorResponse(c, 404, "job_not_found", `No bulk job "${c.req.param("id")}"`);
  });
