/**
 * The dashboard's actions (POST, from its forms): cancel, wake and replay a run, complete its
 * wait tokens; invoke a function, pause, drain or resume it, bulk replay its failed runs; send a
 * test event. They go through the same code as the
 * HTTP API. A refused form is shown again with why (4xx); a done action redirects (303).
 */
import { Hono } from "hono";
import { z } from "zod";
import { acceptEvents } from "../../core/events/accept.ts";
import { oversizedData, oversizedEvent } from "../../core/events/limits.ts";
import { maxInvokeDataBytes } from "../../core/payloads/event-data.ts";
import { rerouteEvent } from "../../core/events/reroute.ts";
import { eventInputSchema } from "../../core/events/schema.ts";
import type { Env } from "../../core/env.ts";
import { newId, RUN_ID_PATTERN } from "../../core/lib/ids.ts";
import { getFunction } from "../../core/functions/catalog.ts";
import { invokeFunction } from "../../core/runs/invoke.ts";
import { replayRun } from "../../core/runs/replay.ts";
import { completeToken } from "../../core/runs/token-completion.ts";
import { runOfToken } from "../../../sdk/wait-tokens.ts";
import { RANGES } from "../pages/runs.tsx";
import { formFields, parseJsonObject, zodIssues } from "./forms.ts";
import { eventsPage, functionPage, problemPage, runPage } from "./pages.tsx";
import { bulkJob, runObject } from "../../core/objects.ts";
import { CONTROL_MODES, MAX_CONTROL_REASON } from "../../../sdk/function-control.ts";
import { controlFunction, resumeFunction } from "../../core/functions/controls.ts";

const runUrl = (id: string, done: string): string => `/dashboard/runs/${encodeURIComponent(id)}?done=${done}`;
const replayFormSchema = z.object({
  fromStart: z.enum(["true", "false"]).default("false"),
  fromStep: z.string().min(1).max(1_000).optional(),
  data: z.string().optional(),
});
const bulkFormSchema = z.object({ range: z.enum(Object.keys(RANGES) as [keyof typeof RANGES]).default("24h") });
const pauseFormSchema = z.object({
  mode: z.enum(CONTROL_MODES),
  reason: z.string().trim().max(MAX_CONTROL_REASON).optional(),
});
const functionUrl = (id: string, query: string): string => `/dashboard/functions/${encodeURIComponent(id)}?${query}`;

export const actionRoutes = new Hono<{ Bindings: Env }>()
  .use("/runs/:id/*", async (c, next) => {
    const id = c.req.param("id") ?? "";
    return RUN_ID_PATTERN.test(id) ? next() : problemPage(c, 400, "Not a run id", `"${id}" is not a run id`);
  })
  .post("/runs/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const result = await runObject(c.env, id).cancel("cancelled from the dashboard");
    if (!result) return problemPage(c, 404, "No such run", `No run "${id}"`);
    return c.redirect(runUrl(id, result.cancelled ? "cancelled" : "already-ended"), 303);
  })
  .post("/runs/:id/start-now", async (c) => {
    const id = c.req.param("id");
    const result = await runObject(c.env, id).reschedule(Date.now());
    if (!result) return problemPage(c, 404, "No such run", `No run "${id}"`);
    return c.redirect(runUrl(id, result.ok ? "started-now" : "already-started"), 303);
  })
  .post("/runs/:id/wake", async (c) => {
    const id = c.req.param("id");
    const result = await runObject(c.env, id).wake();
    if (result.status === undefined) return problemPage(c, 404, "No such run", `No run "${id}"`);
    return c.redirect(runUrl(id, result.woke ? "woken" : "not-sleeping"), 303);
  })
  .post("/runs/:id/replay", async (c) => {
    const id = c.req.param("id");
    const form = replayFormSchema.safeParse(await formFields(c));
    if (!form.success) return problemPage(c, 400, "Bad form", "The replay form is invalid", zodIssues(form.error));
    const fromStart = form.data.fromStart === "true";
    const { fromStep } = form.data;
    const data = form.data.data === undefined ? undefined : parseJsonObject(form.data.data);
    if (data && !data.ok) return runPage(c, id, { text: data.error, error: true }, 400);
    const result = await replayRun(c.env, id, { fromStart, fromStep, data: data?.value });
    const done = data
      ? "replayed-with-data"
      : fromStep
        ? "replayed-from-step"
        : fromStart
          ? "replayed-from-start"
          : "replayed";
    if (result.ok) return c.redirect(runUrl(result.runId, done), 303);
    if (result.notFound) return problemPage(c, 404, "No such run", result.message);
    return runPage(c, id, { text: result.message, error: true }, result.invalid ? 400 : 409);
  })
  .post("/runs/:id/tokens/:token/complete", async (c) => {
    const id = c.req.param("id");
    const tokenId = c.req.param("token");
    if (runOfToken(tokenId) !== id)
      return problemPage(c, 404, "No such token", `Run "${id}" has no wait token ${tokenId}`);
    const text = (await formFields(c)).data ?? "";
    const answer = await completeToken(c.env, tokenId, text, null, true);
    if (answer.ok) return c.redirect(runUrl(id, answer.value.resumed ? "token-resumed" : "token-completed"), 303);
    const status = answer.refusal.status === 400 || answer.refusal.status === 413 ? 400 : 409;
    return runPage(c, id, { text: answer.refusal.message, error: true }, status);
  })
  .post("/functions/:id/invoke", async (c) => {
    const fn = await getFunction(c.env, c.req.param("id"));
    if (!fn) return problemPage(c, 404, "No such function", `No function "${c.req.param("id")}" is registered`);
    const text = (await formFields(c)).data ?? "{}";
    const data = parseJsonObject(text);
    if (!data.ok) return functionPage(c, fn.id, { invokeData: text, error: data.error }, 400);
    const tooLarge = oversizedData(data.value, maxInvokeDataBytes(c.env));
    if (tooLarge) return functionPage(c, fn.id, { invokeData: text, error: tooLarge }, 400);
    return c.redirect(runUrl(await invokeFunction(c.env, fn.id, data.value), "invoked"), 303);
  })
  .post("/functions/:id/pause", async (c) => {
    const fn = await getFunction(c.env, c.req.param("id"));
    if (!fn) return problemPage(c, 404, "No such function", `No function "${c.req.param("id")}" is registered`);
    const form = pauseFormSchema.safeParse(await formFields(c));
    if (!form.success)
      return functionPage(c, fn.id, { error: "The pause form is invalid", issues: zodIssues(form.error) }, 400);
    await controlFunction(c.env, fn.id, form.data.mode, form.data.reason || undefined);
    return c.redirect(functionUrl(fn.id, `done=${form.data.mode}`), 303);
  })
  .post("/functions/:id/resume", async (c) => {
    const fn = await getFunction(c.env, c.req.param("id"));
    if (!fn) return problemPage(c, 404, "No such function", `No function "${c.req.param("id")}" is registered`);
    const { jobId } = await resumeFunction(c.env, fn.id);
    return c.redirect(functionUrl(fn.id, jobId ? `job=${jobId}` : "done=not-paused"), 303);
  })
  .post("/functions/:id/replay-failed", async (c) => {
    const fn = await getFunction(c.env, c.req.param("id"));
    if (!fn) return problemPage(c, 404, "No such function", `No function "${c.req.param("id")}" is registered`);
    const form = bulkFormSchema.safeParse(await formFields(c));
    if (!form.success)
      return functionPage(c, fn.id, { error: "The bulk replay form is invalid", issues: zodIssues(form.error) }, 400);
    const jobId = newId();
    await bulkJob(c.env, jobId).begin({
      action: "replay",
      functionId: fn.id,
      from: Date.now() - RANGES[form.data.range],
      status: "failed",
      fromStart: false,
    });
    return c.redirect(functionUrl(fn.id, `job=${jobId}`), 303);
  })
  .post("/events/:id/reroute", async (c) => {
    const id = c.req.param("id");
    const result = await rerouteEvent(c.env, id);
    if (result === "not_found") return problemPage(c, 404, "No such event", `No event "${id}"`);
    return c.redirect(`/dashboard/events/${encodeURIComponent(id)}`, 303);
  })
  .post("/events/send", async (c) => {
    const fields = await formFields(c);
    const form = { name: fields.name ?? "", data: fields.data ?? "{}" };
    const data = parseJsonObject(form.data);
    if (!data.ok) return eventsPage(c, { ...form, error: data.error }, 400);
    const event = eventInputSchema.safeParse({ name: form.name, data: data.value });
    if (!event.success)
      return eventsPage(c, { ...form, error: "The event is invalid", issues: zodIssues(event.error) }, 400);
    const tooLarge = oversizedEvent([event.data], c.env);
    if (tooLarge) return eventsPage(c, { ...form, error: tooLarge }, 413);
    const [id] = await acceptEvents(c.env, [event.data]);
    return c.redirect(`/dashboard/events/${encodeURIComponent(id ?? "")}`, 303);
  });
