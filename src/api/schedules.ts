/**
 * `/v1/schedules`: schedules made at run time, per user or tenant. Create (or, with a `key`
 * already used, replace), list by function or tenant, read, change, pause, resume and delete.
 */
import { Hono, type Context } from "hono";
import {
  scheduleFilterSchema,
  scheduleInputSchema,
  schedulePatchSchema,
  type SchedulePatch,
} from "../../sdk/schedules.ts";
import type { Env } from "../core/env.ts";
import { getFunction } from "../core/functions/catalog.ts";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  updateSchedule,
  type ScheduleRefusal,
} from "../core/schedules/manage.ts";
import { readBody, readQuery } from "./body.ts";
import { errorResponse } from "./errors.ts";

/** Schedule ids: `sch_` and a ULID, or `sch_k` and a key's digest. */
const SCHEDULE_ID = /^sch_[0-9A-Za-z]{24,40}$/;

/** The list's query: `function` as on `/v1/runs`. */
const listQuerySchema = scheduleFilterSchema
  .omit({ functionId: true })
  .extend({ function: scheduleFilterSchema.shape.functionId });

type ScheduleContext = Context<{ Bindings: Env }>;

const refusal = (c: ScheduleContext, refused: ScheduleRefusal) =>
  errorResponse(c, refused.status, refused.code, refused.message);
const notFound = (c: ScheduleContext, id: string) => errorResponse(c, 404, "schedule_not_found", `No schedule "${id}"`);

/** Applies `patch` to the schedule the path names. */
async function patched(c: ScheduleContext, patch: SchedulePatch): Promise<Response> {
  const id = c.req.param("id") ?? "";
  if (!SCHEDULE_ID.test(id)) return notFound(c, id);
  const result = await updateSchedule(c.env, id, schedulePatchSchema.parse(patch));
  return result.ok ? c.json(result.value) : refusal(c, result.refusal);
}

export const schedulesApi = new Hono<{ Bindings: Env }>()
  .post("/", async (c) => {
    const body = await readBody(c, scheduleInputSchema);
    if (!body.ok) return body.response;
    if (!(await getFunction(c.env, body.value.functionId)))
      return errorResponse(c, 404, "function_not_found", `No function "${body.value.functionId}" is registered`);
    const result = await createSchedule(c.env, body.value);
    if (!result.ok) return refusal(c, result.refusal);
    return c.json(result.value.schedule, result.value.created ? 201 : 200);
  })
  .get("/", async (c) => {
    const query = readQuery(c, listQuerySchema);
    if (!query.ok) return query.response;
    const { function: functionId, cursor, tenant, limit } = query.value;
    const page = await listSchedules(c.env, { functionId, tenant, limit, after: cursor });
    return c.json({ schedules: page.schedules, ...(page.next ? { nextCursor: page.next } : {}) });
  })
  .get("/:id", async (c) => {
    const id = c.req.param("id");
    const schedule = SCHEDULE_ID.test(id) ? await getSchedule(c.env, id) : undefined;
    return schedule ? c.json(schedule) : notFound(c, id);
  })
  .patch("/:id", async (c) => {
    const body = await readBody(c, schedulePatchSchema);
    return body.ok ? patched(c, body.value) : body.response;
  })
  .post("/:id/pause", (c) => patched(c, { paused: true }))
  .post("/:id/resume", (c) => patched(c, { paused: false }))
  .delete("/:id", async (c) => {
    const id = c.req.param("id");
    if (!SCHEDULE_ID.test(id) || !(await deleteSchedule(c.env, id))) return notFound(c, id);
    return c.json({ id, deleted: true });
  });
