/**
 * The HTTP API: Hono routes under /v1 and Inngest's event route, JSON everywhere, errors in one
 * shape. Ingestion takes event keys; everything else takes API keys. The dashboard is mounted
 * beside it at /dashboard, with its own login.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Env } from "../core/env.ts";
import { requireKey } from "./auth.ts";
import { errorResponse } from "./errors.ts";
import { eventsApi } from "./events.ts";
import { functionsApi } from "./functions.ts";
import { inngestApi, inngestCheckpointApi, inngestEventErrors, inngestRegisterApi } from "./inngest.ts";
import { appsApi } from "./apps.ts";
import { bulkApi } from "./bulk.ts";
import { schedulesApi } from "./schedules.ts";
import { metricsApi } from "./metrics.ts";
import { alertsApi } from "./alerts.ts";
import { dashboard } from "../dashboard/index.ts";
import { runsApi } from "./runs.ts";
import { tokensApi } from "./tokens.ts";
import { realtimeApi, subscribeApi } from "./realtime.ts";
import { payloadsApi } from "./payloads.ts";
import { sameOriginOnly } from "../core/lib/same-origin.ts";
import { ConfigError } from "../core/lib/config-error.ts";

export const app = new Hono<{ Bindings: Env }>()
  .get("/", (c) => c.redirect("/dashboard", 302))
  .route("/dashboard", dashboard)
  // A wait token's URL is its own capability, for any origin: before the API's key and origin checks.
  .route("/v1/tokens", tokensApi)
  // A subscription's token is its own permission: before the API's key check as well.
  .route("/v1/realtime/subscribe", subscribeApi)
  // A large step result's signed link: its signature is the permission.
  .route("/v1/payloads", payloadsApi)
  // A web page may not drive the API from a browser (open in development, its cookies elsewhere).
  .use(
    "/v1/*",
    sameOriginOnly(false, (reason) =>
      Response.json({ error: { code: "cross_site", message: `Refused: ${reason}` } }, { status: 403 }),
    ),
  )
  .use("/e/*", inngestEventErrors)
  .use(
    "/e/*",
    sameOriginOnly(false, (reason) =>
      Response.json({ error: { code: "cross_site", message: `Refused: ${reason}` } }, { status: 403 }),
    ),
  )
  .post("/v1/events", requireKey("event"))
  .post("/e/:eventKey", requireKey("event", "eventKey"))
  // Ingestion takes event keys, an app's sync its signature, an Inngest checkpoint its Bearer token;
  // everything else an API key.
  .use("/v1/*", async (c, next) =>
    c.req.method === "POST" &&
    (c.req.path === "/v1/events" || c.req.path === "/v1/apps/sync" || c.req.path.startsWith("/v1/checkpoint/"))
      ? next()
      : requireKey("api")(c, next),
  )
  .route("/e", inngestApi)
  .route("/fn", inngestRegisterApi)
  .route("/v1/checkpoint", inngestCheckpointApi)
  .route("/v1/events", eventsApi)
  .route("/v1/functions", functionsApi)
  .route("/v1/runs", runsApi)
  .route("/v1/bulk", bulkApi)
  .route("/v1/schedules", schedulesApi)
  .route("/v1/metrics", metricsApi)
  .route("/v1/alerts", alertsApi)
  .route("/v1/apps", appsApi)
  .route("/v1/realtime", realtimeApi)
  .notFound((c) => errorResponse(c, 404, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`))
  .onError((error, c) => {
    // Middleware refusals (a cross-site form post) carry their own answer.
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof ConfigError) {
      console.error(`stepwise: misconfigured: ${error.message}`);
      return errorResponse(c, 503, "misconfigured", `Stepwise is misconfigured: ${error.message}`);
    }
    console.error("stepwise api error", error);
    return errorResponse(c, 500, "internal_error", "Stepwise failed to handle this request; it has been logged");
  });
