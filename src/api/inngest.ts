/**
 * Inngest's own routes, so its official SDK talks to Stepwise unchanged:
 * - `POST /e/:eventKey`: events from `inngest.send` and `step.sendEvent`, an event or an array,
 *   answered `{ ids, status: 200 }`, and refused as `{ ids: [], status, error }`. Events sent
 *   without an id get the ids the SDK's `x-inngest-event-id-seed` names, so a retried send is
 *   recorded once. The key in the path is checked by the auth middleware.
 * - `POST /fn/register`: an Inngest app's own sync (see src/core/inngest/sync.ts), authenticated
 *   by its Bearer token, not an API key. Its answers carry `status` and a string `error`, the
 *   shape the SDK reads: an error in any other shape is reported to the app's caller as a success.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Env } from "../core/env.ts";
import { seededEventIds } from "../core/inngest/event-ids.ts";
import { inngestMode, registerInngestApp } from "../core/inngest/sync.ts";
import { bearerAccepted } from "../core/inngest/signing.ts";
import { checkpointBodySchema, checkpointedSteps } from "../core/inngest/translate.ts";
import { RUN_ID_PATTERN } from "../core/lib/ids.ts";
import { runObject } from "../core/objects.ts";
import { readBody } from "./body.ts";
import { ingest } from "./ingest.ts";

export const inngestApi = new Hono<{ Bindings: Env }>().post("/:eventKey", async (c) => {
  const seed = c.req.header("x-inngest-event-id-seed");
  const result = await ingest(c, (count) => seededEventIds(seed, count));
  return result.ok ? c.json({ ids: result.ids, status: 200 }) : result.response;
});

const stepwiseErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/**
 * Answers every refusal on `/e/*` (a bad key, a bad body, a cross-site request) in the shape of
 * Inngest's event API, `{ ids: [], status, error }`, so the SDK's `send` reports the message
 * instead of an unreadable object.
 */
export const inngestEventErrors: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  await next();
  if (c.res.status < 400) return;
  const parsed = stepwiseErrorSchema.safeParse(
    await c.res
      .clone()
      .json()
      .catch(() => null),
  );
  const error = parsed.success ? `${parsed.data.error.code}: ${parsed.data.error.message}` : c.res.statusText;
  // The refusal's own headers (retry-after, www-authenticate) stay; only the body changes shape.
  const headers = new Headers(c.res.headers);
  headers.set("content-type", "application/json");
  headers.delete("content-length");
  const status = c.res.status;
  c.res = undefined;
  c.res = new Response(JSON.stringify({ ids: [], status, error }), { status, headers });
};

const errorBodySchema = z.object({ error: z.object({ message: z.string() }) });

export const inngestRegisterApi = new Hono<{ Bindings: Env }>().post("/register", async (c) => {
  const body = await readBody(c, z.unknown());
  if (!body.ok) {
    // The body reader's refusal, in Inngest's shape.
    const parsed = errorBodySchema.safeParse(await body.response.json());
    const error = parsed.success ? parsed.data.error.message : "The sync's body could not be read";
    return c.json({ status: body.response.status, error }, body.response.status as 400);
  }
  const result = await registerInngestApp(c.env, c.req.header("authorization") ?? null, body.value);
  if (!result.ok) return c.json({ status: result.status, error: result.message }, result.status);
  return c.json({ ok: true, modified: true });
});

/**
 * `POST /v1/checkpoint/:runId/async`: an Inngest app's SDK reports the steps it ran inside a call
 * that is still under way (../shared/INNGEST-PROTOCOL.md §6.1). Each is recorded at once, so the
 * call can go on to the next step without Stepwise replaying the function. The call's id
 * (`qi_id`, unguessable, valid while the call is under way) is what admits a checkpoint; in cloud
 * mode the Bearer token must also prove the signing key, as for a sync. Anything stale answers
 * 409, which stops that call.
 */
export const inngestCheckpointApi = new Hono<{ Bindings: Env }>().post("/:runId/async", async (c) => {
  const mode = inngestMode(c.env);
  if (mode.kind === "unconfigured") return c.json({ status: 503, error: mode.why }, 503);
  if (mode.kind === "cloud" && !(await bearerAccepted(c.req.header("authorization") ?? null, mode.keys)))
    return c.json({ status: 401, error: "The Bearer token does not prove this Stepwise's INNGEST_SIGNING_KEY" }, 401);
  const body = await readBody(c, checkpointBodySchema);
  if (!body.ok) return body.response;
  const steps = checkpointedSteps(body.value, Date.now());
  const runId = c.req.param("runId");
  if (!RUN_ID_PATTERN.test(runId))
    return c.json({ status: 400, error: `"${runId.slice(0, 200)}" is not a run id` }, 400);
  if (steps.length === 0) return c.json({ status: 200 });
  const result = await runObject(c.env, runId).checkpoint({
    callId: body.value.qi_id,
    functionId: body.value.fn_id,
    steps,
  });
  if (!result) return c.json({ status: 404, error: `No run ${runId}` }, 404);
  if (!result.accepted)
    return c.json({ status: 409, error: `Run ${runId} refused the checkpoint: ${result.why}` }, 409);
  return c.json({ status: 200 });
});
