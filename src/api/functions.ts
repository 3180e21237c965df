/**
 * `/v1/functions`: list the functions this Worker runs, invoke one directly, and pause, drain or
 * resume one.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppTarget } from "../../sdk/app-protocol.ts";
import type { Env } from "../core/env.ts";
import { oversizedData } from "../core/events/limits.ts";
import { maxInvokeDataBytes } from "../core/payloads/event-data.ts";
import { delayFields, startAtFrom } from "../../sdk/delay.ts";
import { shallowEnough } from "../core/lib/json-shape.ts";
import { getFunction, listFunctions } from "../core/functions/catalog.ts";
import { invokeFunction } from "../core/runs/invoke.ts";
import { tagsSchema } from "../../sdk/tags.ts";
import { controlFunction, resumeFunction } from "../core/functions/controls.ts";
import { controlView, pauseOptionsSchema } from "../../sdk/function-control.ts";
import { readBody } from "./body.ts";
import { errorResponse } from "./errors.ts";

const invokeBodySchema = z
  .object({
    data: z
      .record(z.string(), z.unknown())
      .refine(shallowEnough.check, { error: `the data ${shallowEnough.error}` })
      .default({}),
    tags: tagsSchema.optional(),
    ...delayFields,
  })
  .strict();

/**
 * Where a function runs, always as an object: in this Worker, or in an app behind a service
 * binding (and the path it serves at) or a URL; `protocol: "inngest"` for an Inngest app's.
 */
function runsIn(
  remote: AppTarget | undefined,
):
  | { kind: "embedded" }
  | { kind: "binding"; binding: string; path: string; protocol?: "inngest" }
  | { kind: "url"; url: string; protocol?: "inngest" } {
  if (!remote) return { kind: "embedded" };
  const protocol = remote.protocol ? { protocol: remote.protocol } : {};
  return "url" in remote
    ? { kind: "url", url: remote.url, ...protocol }
    : { kind: "binding", binding: remote.binding, path: remote.path ?? "/", ...protocol };
}

export const functionsApi = new Hono<{ Bindings: Env }>()
  .get("/", async (c) =>
    c.json({
      functions: (await listFunctions(c.env)).map((fn) => ({
        id: fn.id,
        app: fn.appId,
        name: fn.config.name ?? fn.id,
        runsIn: runsIn(fn.remote),
        triggers: fn.triggers,
        config: fn.config,
        control: controlView(fn.control),
      })),
    }),
  )
  // Every action on one function: an unknown one is a 404 before its body is read.
  .use("/:id/*", async (c, next) => {
    const functionId = c.req.param("id") ?? "";
    if (!(await getFunction(c.env, functionId)))
      return errorResponse(c, 404, "function_not_found", `No function "${functionId}" is registered`);
    return next();
  })
  .post("/:id/invoke", async (c) => {
    const functionId = c.req.param("id");
    const body = await readBody(c, invokeBodySchema);
    if (!body.ok) return body.response;
    const tooLarge = oversizedData(body.value.data, maxInvokeDataBytes(c.env));
    if (tooLarge) return errorResponse(c, 413, "payload_too_large", tooLarge);
    const when = startAtFrom(body.value, Date.now());
    if (!when.ok) return errorResponse(c, 400, "invalid_request", when.message);
    const { data, tags } = body.value;
    return c.json({ runId: await invokeFunction(c.env, functionId, data, tags, when.startAt) }, 201);
  })
  .post("/:id/pause", async (c) => {
    const functionId = c.req.param("id");
    const body = await readBody(c, pauseOptionsSchema);
    if (!body.ok) return body.response;
    const control = await controlFunction(
      c.env,
      functionId,
      body.value.drain ? "draining" : "paused",
      body.value.reason,
    );
    return c.json({ functionId, control: controlView(control) });
  })
  .post("/:id/resume", async (c) => {
    const functionId = c.req.param("id");
    return c.json({ functionId, ...(await resumeFunction(c.env, functionId)) });
  });
