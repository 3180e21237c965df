/**
 * `/v1/functions`: list the functions this Worker runs, and invoke one directly.
 */
import { Hono } from "hono";
import { z } from "zod";
import { MAX_EVENT_BYTES } from "../../durable-objects/run/limits.ts";
import type { Env } from "../env.ts";
import { formatBytes, jsonBytes } from "../lib/json-size.ts";
import { newId } from "../lib/ids.ts";
import { registry } from "../registry.ts";
import { readBody } from "./body.ts";
import { errorResponse } from "./errors.ts";

/** Name of the event a directly invoked run receives. */
export const INVOKED_EVENT = "stepwise/function.invoked";

const invokeBodySchema = z
  .object({
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const functionsApi = new Hono<{ Bindings: Env }>()
  .get("/", (c) =>
    c.json({
      functions: registry.list().map((fn) => ({ id: fn.id, app: fn.appId, name: fn.config.name ?? fn.id, triggers: fn.triggers, config: fn.config })),
    }),
  )
  .post("/:id/invoke", async (c) => {
    const functionId = c.req.param("id");
    if (!registry.get(functionId)) return errorResponse(c, 404, "function_not_found", `No function "${functionId}" is registered`);
    const body = await readBody(c, invokeBodySchema);
    if (!body.ok) return body.response;
    const bytes = jsonBytes(body.value.data);
    if (bytes > MAX_EVENT_BYTES) {
      const message = `Event data is ${formatBytes(bytes)}; the limit is ${formatBytes(MAX_EVENT_BYTES)}`;
      return errorResponse(c, 413, "payload_too_large", message);
    }
    const runId = newId();
    const event = { id: newId(), name: INVOKED_EVENT, data: body.value.data, ts: Date.now() };
    await c.env.RUN.get(c.env.RUN.idFromName(runId)).start({ runId, functionId, events: [event] });
    return c.json({ runId }, 201);
  });
