/**
 * `/v1/runs`: the run index, filtered and paged; and per run its status and steps, its history,
 * and waking it from a sleep (any timer, or with `{ "only": "sleeps" }` sleeps and backoffs only).
 */
import { replayOptionsSchema } from "../../sdk/replay.ts";
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { RunObject } from "../../durable-objects/run/run-object.ts";
import { RUN_STATUSES } from "../../durable-objects/run/state.ts";
import { listRuns } from "../core/run-index/read.ts";
import type { Env } from "../core/env.ts";
import { RUN_ID_PATTERN } from "../core/lib/ids.ts";
import { replayRun } from "../core/runs/replay.ts";
import { readBody, readQuery } from "./body.ts";
import { errorResponse } from "./errors.ts";
import { nextCursor, pagingSchema, timeSchema } from "../core/db/paging.ts";
import { runSummary } from "../core/db/run-summary.ts";
import { runObject } from "../core/objects.ts";
import { runOfToken } from "../../sdk/wait-tokens.ts";
import { completeFromRequest } from "./tokens.ts";
import { delayFields, startAtFrom } from "../../sdk/delay.ts";

/** `only: "sleeps"` fires the next timer only if it is a sleep or a retry backoff (tests of approvals). */
const cancelBodySchema = z.object({ reason: z.string().min(1).max(1_000).optional() }).strict();
const wakeBodySchema = z.object({ only: z.literal("sleeps").optional() }).strict();
/** A new start for a scheduled run: `delay` or `runAt` (neither: start now). */
const rescheduleBodySchema = z.object(delayFields).strict();
/** Most history entries one page holds; a run of 10,000 steps has about 20,000. */
const MAX_HISTORY_PAGE = 1_000;
const historyQuerySchema = z.object({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_PAGE).default(MAX_HISTORY_PAGE),
});

const listQuerySchema = pagingSchema.extend({
  function: z.string().min(1).optional(),
  status: z.enum(RUN_STATUSES).optional(),
  event: z.string().min(1).optional(),
  after: timeSchema.optional(),
  tag: z.string().min(1).max(128).optional(),
  metadataKey: z.string().min(1).max(128).optional(),
});

type RunContext = Context<{ Bindings: Env }>;

function runStub(c: RunContext): { stub: DurableObjectStub<RunObject> } | { response: Response } {
  const id = c.req.param("id") ?? "";
  if (!RUN_ID_PATTERN.test(id)) return { response: errorResponse(c, 400, "invalid_run_id", `"${id}" is not a run id`) };
  return { stub: runObject(c.env, id) };
}

const notFound = (c: RunContext): Response => errorResponse(c, 404, "run_not_found", `No run "${c.req.param("id")}"`);

export const runsApi = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => {
    const query = readQuery(c, listQuerySchema);
    if (!query.ok) return query.response;
    const { function: functionId, event: eventId, ...rest } = query.value;
    const page = await listRuns(c.env, { functionId, eventId, ...rest });
    return c.json({ runs: page.items.map(runSummary), ...nextCursor(page.next) });
  })
  .get("/:id", async (c) => {
    const target = runStub(c);
    if ("response" in target) return target.response;
    const run = await target.stub.getRun();
    return run ? c.json(run) : notFound(c);
  })
  .get("/:id/history", async (c) => {
    const target = runStub(c);
    if ("response" in target) return target.response;
    const query = readQuery(c, historyQuerySchema);
    if (!query.ok) return query.response;
    // One more than asked for says whether there is a next page.
    const history = await target.stub.getHistory({ afterSeq: query.value.afterSeq, limit: query.value.limit + 1 });
    if (!history) return notFound(c);
    const page = history.slice(0, query.value.limit);
    const last = page.at(-1);
    return c.json({
      history: page.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })),
      ...(history.length > page.length && last ? { nextAfterSeq: last.seq } : {}),
    });
  })
  .post("/:id/cancel", async (c) => {
    const target = runStub(c);
    if ("response" in target) return target.response;
    const body = await readBody(c, cancelBodySchema);
    if (!body.ok) return body.response;
    const result = await target.stub.cancel(body.value.reason ?? "cancelled through the API");
    return result ? c.json(result) : notFound(c);
  })
  .post("/:id/reschedule", async (c) => {
    const target = runStub(c);
    if ("response" in target) return target.response;
    const body = await readBody(c, rescheduleBodySchema);
    if (!body.ok) return body.response;
    const now = Date.now();
    const when = startAtFrom(body.value, now);
    if (!when.ok) return errorResponse(c, 400, "invalid_request", when.message);
    const result = await target.stub.reschedule(when.startAt ?? now);
    if (!result) return notFound(c);
    if (!result.ok) return errorResponse(c, 409, result.refusal.code, result.refusal.message);
    return c.json({ runId: c.req.param("id"), startAt: result.startAt });
  })
  .post("/:id/replay", async (c) => {
    const target = runStub(c);
    if ("response" in target) return target.response;
    const body = await readBody(c, replayOptionsSchema);
    if (!body.ok) return body.response;
    const result = await replayRun(c.env, c.req.param("id"), body.value);
    if (result.ok) return c.json({ runId: result.runId, replayOf: c.req.param("id") }, 201);
    if (result.invalid) return errorResponse(c, 400, "invalid_request", result.message);
    return result.notFound ? notFound(c) : errorResponse(c, 409, "not_replayable", result.message);
  })
  // An operator's completion (API key): a token's secret is not asked for.
  .post("/:id/tokens/:token/complete", async (c) => {
    const target = runStub(c);
    if ("response" in target) return target.response;
    const tokenId = c.req.param("token");
    if (runOfToken(tokenId) !== c.req.param("id"))
      return errorResponse(c, 404, "token_not_found", `Run "${c.req.param("id")}" has no wait token ${tokenId}`);
    return completeFromRequest(c, tokenId, true);
  })
  .post("/:id/wake", async (c) => {
    const target = runStub(c);
    if ("response" in target) return target.response;
    const body = await readBody(c, wakeBodySchema);
    if (!body.ok) return body.response;
    const result = await target.stub.wake(body.value.only);
    if (result.status === undefined) return notFound(c);
    return c.json(result);
  });
