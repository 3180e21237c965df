/**
 * The dashboard, mounted at /dashboard: server-rendered pages (Hono JSX), two static assets, the
 * login, and the WebSockets that make pages live. Every answer carries a strict
 * Content-Security-Policy (no inline script or style), state-changing requests from anywhere but
 * its own pages are refused (lib/same-origin.ts), and everything but the assets and the login needs
 * a session.
 */
import { FAVICON } from "./assets/favicon.ts";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { Env } from "../core/env.ts";
import { RUN_ID_PATTERN } from "../core/lib/ids.ts";
import { sameOriginOnly } from "../core/lib/same-origin.ts";
import { CLIENT_SCRIPT } from "./assets/client.ts";
import { STYLES } from "./assets/styles.ts";
import { logIn, logOut, requireSession, showLogin } from "./auth.tsx";
import { actionRoutes } from "./routes/actions.tsx";
import { pageRoutes } from "./routes/pages.tsx";
import { scheduleRoutes } from "./routes/schedules.tsx";
import { alertRoutes } from "./routes/alerts.tsx";
import { runObject } from "../core/objects.ts";

/** A Durable Object's answer made ours to add headers to (its own are immutable), a WebSocket kept. */
const relay = (response: Response): Response =>
  response.webSocket
    ? new Response(null, { status: 101, webSocket: response.webSocket })
    : new Response(response.body, response);

const asset = (body: string, type: string) => () =>
  new Response(body, { headers: { "content-type": `${type}; charset=utf-8`, "cache-control": "public, max-age=300" } });

export const dashboard = new Hono<{ Bindings: Env }>()
  .use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: "same-origin",
    }),
  )
  .use(
    "*",
    sameOriginOnly(
      true,
      (reason) =>
        new Response(`Refused: ${reason}. Dashboard actions are taken from the dashboard's own pages.`, {
          status: 403,
        }),
    ),
  )
  .get("/assets/app.css", asset(STYLES, "text/css"))
  .get("/assets/app.js", asset(CLIENT_SCRIPT, "text/javascript"))
  .get("/assets/favicon.svg", asset(FAVICON, "image/svg+xml"))
  .get("/login", (c) => showLogin(c))
  .post("/login", (c) => logIn(c))
  .post("/logout", (c) => logOut(c))
  .use("*", requireSession)
  .get("/runs/:id/live", async (c) => {
    const id = c.req.param("id");
    if (!RUN_ID_PATTERN.test(id)) return c.text(`"${id}" is not a run id`, 400);
    return relay(await runObject(c.env, id).fetch(c.req.raw));
  })
  .route("/", pageRoutes)
  .route("/", actionRoutes)
  .route("/", scheduleRoutes)
  .route("/", alertRoutes);
