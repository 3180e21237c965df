/**
 * The schedules page and its actions (pause, resume, delete), through the same code as
 * `/v1/schedules` (core/schedules/manage.ts).
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Env } from "../../core/env.ts";
import { deleteSchedule, listSchedules, updateSchedule } from "../../core/schedules/manage.ts";
import { page } from "../layout.tsx";
import { ScheduleFilters, SchedulesBody } from "../pages/schedules.tsx";
import { Notice } from "../components.tsx";
import { zodIssues } from "./forms.ts";
import { LIST_REFRESH_MS, problemPage } from "./pages.tsx";

const SCHEDULE_ID = /^sch_[0-9A-Za-z]{24,40}$/;

const querySchema = z.object({
  function: z.string().min(1).max(256).optional(),
  tenant: z.string().min(1).max(256).optional(),
  cursor: z.string().max(64).optional(),
  done: z.enum(["paused", "resumed", "deleted"]).optional(),
});

const NOTICES = { paused: "Schedule paused.", resumed: "Schedule resumed from now.", deleted: "Schedule deleted." };

export const scheduleRoutes = new Hono<{ Bindings: Env }>()
  .get("/schedules", async (c) => {
    const raw = Object.fromEntries(Object.entries(c.req.query()).filter(([, value]) => value !== ""));
    const parsed = querySchema.safeParse(raw);
    if (!parsed.success) return problemPage(c, 400, "Bad filter", "The filter is invalid", zodIssues(parsed.error));
    const { function: functionId, tenant, cursor, done } = parsed.data;
    const listed = await listSchedules(c.env, { functionId, tenant, after: cursor, limit: 50 });
    const query = new URLSearchParams({
      ...(functionId ? { function: functionId } : {}),
      ...(tenant ? { tenant } : {}),
    });
    const head = (
      <>
        <h1>Schedules</h1>
        <Notice text={done ? NOTICES[done] : undefined} />
        <ScheduleFilters functionId={functionId} tenant={tenant} />
      </>
    );
    return page(
      c,
      { title: "Schedules", section: "schedules", poll: cursor ? undefined : LIST_REFRESH_MS, head },
      <SchedulesBody schedules={listed.schedules} next={listed.next} query={query.toString()} />,
    );
  })
  .post("/schedules/:id/:action{pause|resume|delete}", async (c) => {
    const id = c.req.param("id");
    const action = c.req.param("action");
    if (!SCHEDULE_ID.test(id)) return problemPage(c, 404, "No such schedule", `No schedule "${id}"`);
    if (action === "delete") {
      if (!(await deleteSchedule(c.env, id))) return problemPage(c, 404, "No such schedule", `No schedule "${id}"`);
      return c.redirect("/dashboard/schedules?done=deleted", 303);
    }
    const result = await updateSchedule(c.env, id, { paused: action === "pause" });
    if (!result.ok) return problemPage(c, 404, "No such schedule", result.refusal.message);
    return c.redirect(`/dashboard/schedules?done=${action === "pause" ? "paused" : "resumed"}`, 303);
  });
