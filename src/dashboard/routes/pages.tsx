/**
 * The dashboard's pages (GET): runs, a run, events, an event, functions, a function. A run's
 * page listens on its RunObject's WebSocket; a page that lists runs refreshes itself every
 * {@link LIST_REFRESH_MS}.
 */
import { downloadUrl } from "../../core/payloads/download.ts";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { runViewSchema } from "../../../durable-objects/run/view.ts";
import { getEvent, listEvents } from "../../core/events/store.ts";
import { eventEffects } from "../../core/events/effects.ts";
import { emptyStats } from "../../core/run-index/histogram.ts";
import { countRuns, listRuns, runStats, runsForEvents } from "../../core/run-index/read.ts";
import { pagingSchema } from "../../core/db/paging.ts";
import type { Env } from "../../core/env.ts";
import { RUN_ID_PATTERN } from "../../core/lib/ids.ts";
import { getFunction, listFunctions } from "../../core/functions/catalog.ts";
import { isEnded } from "../../../sdk/run-status.ts";
import { Notice } from "../components.tsx";
import { page } from "../layout.tsx";
import { EventBody, EventsBody, SendEventForm } from "../pages/events.tsx";
import { FunctionBody, FunctionForms, FunctionsBody } from "../pages/functions.tsx";
import { RunBody } from "../pages/run.tsx";
import { RANGES, RunFilters, RunsBody, runsQuerySchema } from "../pages/runs.tsx";
import { doneNotice } from "./notices.ts";
import { zodIssues } from "./forms.ts";
import { bulkJob, runObject } from "../../core/objects.ts";

type DashboardContext = Context<{ Bindings: Env }>;

/** How often a list page refreshes itself (as Temporal's visibility, not faster than every 2 s). */
export const LIST_REFRESH_MS = 2_000;

const DAY_MS = 86_400_000;

/** A page saying what is missing or wrong, with the right status. */
export function problemPage(
  c: DashboardContext,
  status: 400 | 404 | 409,
  title: string,
  message: string,
  issues?: string[],
): Response | Promise<Response> {
  return page(c, { title, section: "none" }, <Notice text={message} error issues={issues} />, status);
}

/** A run's page; `notice` says what an action did. */
export async function runPage(
  c: DashboardContext,
  runId: string,
  notice?: { text: string; error: boolean },
  status: 200 | 400 | 409 = 200,
): Promise<Response> {
  if (!RUN_ID_PATTERN.test(runId)) return problemPage(c, 400, "Not a run id", `"${runId}" is not a run id`);
  const stub = runObject(c.env, runId);
  const [run, history] = await Promise.all([stub.getRun(), stub.getHistory()]);
  const detail = run && history ? { run: runViewSchema.parse(run), history } : undefined;
  if (!detail) return problemPage(c, 404, "No such run", `No run "${runId}"`);
  const live = isEnded(detail.run.status) ? [] : [`/dashboard/runs/${encodeURIComponent(runId)}/live`];
  return page(
    c,
    {
      title: `${detail.run.functionId} · ${runId}`,
      section: "runs",
      live,
      src: `/dashboard/runs/${encodeURIComponent(runId)}`,
    },
    <RunBody {...detail} now={Date.now()} notice={notice} />,
    status,
  );
}

/** A function's page, with the state of its forms. */
export async function functionPage(
  c: DashboardContext,
  functionId: string,
  forms: FunctionForms,
  status: 200 | 400 = 200,
): Promise<Response> {
  const fn = await getFunction(c.env, functionId);
  if (!fn) return problemPage(c, 404, "No such function", `No function "${functionId}" is registered`);
  const now = Date.now();
  const [stats, runs] = await Promise.all([
    runStats(c.env, now - DAY_MS, fn.id).then((stats) => stats.get(fn.id) ?? emptyStats()),
    listRuns(c.env, { functionId: fn.id, limit: 20 }),
  ]);
  const src = `/dashboard/functions/${encodeURIComponent(fn.id)}`;
  return page(
    c,
    { title: fn.id, section: "functions", poll: LIST_REFRESH_MS, src, head: <FunctionForms fn={fn} forms={forms} /> },
    <FunctionBody fn={fn} stats={stats} runs={runs.items} now={now} />,
    status,
  );
}

/** The events page, with the state of its send form. */
export async function eventsPage(
  c: DashboardContext,
  form?: { name: string; data: string; error: string; issues?: string[] },
  status: 200 | 400 | 413 = 200,
): Promise<Response> {
  const query = pagingSchema.extend({ name: z.string().max(256).optional() }).safeParse(c.req.query());
  if (!query.success) return problemPage(c, 400, "Bad filter", "The query string is invalid", zodIssues(query.error));
  const name = query.data.name || undefined;
  const events = await listEvents(c.env, { name, cursor: query.data.cursor, limit: query.data.limit });
  const runs = await runsForEvents(
    c.env,
    events.items.map((event) => event.id),
  );
  const head = (
    <>
      <h1>Events</h1>
      <form class="filters" method="get" action="/dashboard/events">
        <label>
          Event name
          <input name="name" value={name ?? ""} placeholder="e.g. order/placed" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <SendEventForm form={form} error={form?.error} issues={form?.issues} />
    </>
  );
  return page(
    c,
    {
      title: "Events",
      section: "events",
      poll: query.data.cursor ? undefined : LIST_REFRESH_MS,
      src: "/dashboard/events",
      head,
    },
    <EventsBody events={events.items} runs={runs} next={events.next} name={name} />,
    status,
  );
}

export const pageRoutes = new Hono<{ Bindings: Env }>()
  .get("/", (c) => c.redirect("/dashboard/runs", 303))
  .get("/runs", async (c) => {
    const raw = Object.fromEntries(Object.entries(c.req.query()).filter(([, value]) => value !== ""));
    const parsed = runsQuerySchema.safeParse(raw);
    if (!parsed.success) return problemPage(c, 400, "Bad filter", "The filter is invalid", zodIssues(parsed.error));
    const query = parsed.data;
    if (query.q && RUN_ID_PATTERN.test(query.q) && (await runObject(c.env, query.q).getStatus()) !== null)
      return c.redirect(`/dashboard/runs/${encodeURIComponent(query.q)}`, 303);
    const now = Date.now();
    const filter = {
      functionId: query.function,
      eventName: query.event,
      eventId: query.q,
      after: query.range ? now - RANGES[query.range] : query.from,
      before: query.to,
      tag: query.tag,
      metadataKey: query.key,
    };
    const [runs, counts] = await Promise.all([
      listRuns(c.env, { ...filter, status: query.status, cursor: query.cursor, limit: query.limit }),
      countRuns(c.env, filter),
    ]);
    const functions = (await listFunctions(c.env)).map((fn) => fn.id);
    const head = (
      <>
        <h1>Runs</h1>
        {query.q ? <p class="sub">{`Runs started by event "${query.q}" (no run has that id).`}</p> : null}
        <RunFilters query={query} functions={functions} raw={raw} />
      </>
    );
    const body = <RunsBody raw={raw} query={query} counts={counts} runs={runs.items} next={runs.next} now={now} />;
    return page(c, { title: "Runs", section: "runs", poll: query.cursor ? undefined : LIST_REFRESH_MS, head }, body);
  })
  .get("/runs/:id", (c) => runPage(c, c.req.param("id"), doneNotice(c.req.query("done"))))
  .get("/events", (c) => eventsPage(c))
  .get("/events/:id", async (c) => {
    const event = await getEvent(c.env, c.req.param("id"));
    if (!event) return problemPage(c, 404, "No such event", `No event "${c.req.param("id")}"`);
    const [runs, effects] = await Promise.all([
      listRuns(c.env, { eventId: event.id, limit: 200 }),
      eventEffects(c.env, event.id),
    ]);
    return page(
      c,
      { title: event.name, section: "events", poll: LIST_REFRESH_MS },
      <EventBody
        event={event}
        runs={runs.items}
        effects={effects}
        now={Date.now()}
        dataUrl={event.claim ? await downloadUrl(c.env, event.claim.key, Date.now()) : undefined}
      />,
    );
  })
  .get("/functions", async (c) => {
    const [catalog, stats] = await Promise.all([listFunctions(c.env), runStats(c.env, Date.now() - DAY_MS)]);
    const functions = catalog.map((fn) => ({ fn, stats: stats.get(fn.id) ?? emptyStats() }));
    return page(
      c,
      { title: "Functions", section: "functions", poll: LIST_REFRESH_MS, head: <h1>Functions</h1> },
      <FunctionsBody functions={functions} />,
    );
  })
  .get("/functions/:id", async (c) => {
    const jobId = c.req.query("job");
    const progress = jobId && /^[0-9A-Z]{26}$/.test(jobId) ? await bulkJob(c.env, jobId).progress() : null;
    const sofar = progress?.done ? ", done" : " so far (reload to follow)";
    const notice = !progress
      ? doneNotice(c.req.query("done"))?.text
      : progress.spec.action === "release"
        ? `Resumed. Releasing held runs (job ${jobId}): ${progress.matched} found, ${progress.acted} released${sofar}.`
        : `Bulk replay ${jobId}: ${progress.matched} failed run(s) found, ${progress.acted} replayed${sofar}.`;
    return functionPage(c, c.req.param("id"), notice ? { notice } : {});
  });
