/**
 * `GET /v1/payloads/:ref`: a large step result, by the signed link a run's view gives (no API key:
 * the signature is the permission, for an hour). Served from R2 as JSON.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { Env } from "../core/env.ts";
import { checkDownload } from "../core/payloads/download.ts";
import { errorResponse } from "./errors.ts";

export const payloadsApi = new Hono<{ Bindings: Env }>()
  // The signed link is the permission, so a page on any origin may fetch it.
  .use("*", cors({ origin: "*", allowMethods: ["GET", "OPTIONS"], maxAge: 86_400 }))
  .get("/:ref", async (c) => {
    const checked = await checkDownload(c.env, c.req.param("ref"), c.req.query("exp"), c.req.query("sig"), Date.now());
    if ("refused" in checked) return errorResponse(c, 403, "invalid_link", `Refused: ${checked.refused}`);
    const object = await c.env.PAYLOADS?.get(checked.key);
    if (!object)
      return errorResponse(c, 404, "payload_not_found", "That result is no longer kept (its run was deleted)");
    return new Response(object.body, {
      headers: {
        "content-type": "application/json",
        "content-length": String(object.size),
        "cache-control": "private, max-age=3600",
      },
    });
  });
