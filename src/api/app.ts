/**
 * The HTTP API: Hono routes under /v1, JSON everywhere, errors in one shape.
 */
import { Hono } from "hono";
import type { Env } from "../env.ts";
import { errorResponse } from "./errors.ts";
import { functionsApi } from "./functions.ts";
import { runsApi } from "./runs.ts";

export const app = new Hono<{ Bindings: Env }>()
  .get("/", (c) => c.json({ name: "stepwise", api: "/v1" }))
  .route("/v1/functions", functionsApi)
  .route("/v1/runs", runsApi)
  .notFound((c) => errorResponse(c, 404, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`))
  .onError((error, c) => {
    console.error("stepwise api error", error);
    return errorResponse(c, 500, "internal_error", "Stepwise failed to handle this request; it has been logged");
  });
