/**
 * Who may see the dashboard: anyone holding an API key, who logs in once and then carries an
 * HttpOnly session cookie. With no API keys set it is open in local development only (as the API
 * is), and refused anywhere else.
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { keyMatches, keysOf } from "../core/lib/keys.ts";
import type { Env } from "../core/env.ts";
import { Notice } from "./components.tsx";
import { formFields } from "./routes/forms.ts";
import { issueSession, safeNext, SESSION_COOKIE, SESSION_MS, sessionValid } from "./session.ts";

/** Whether the request carries a session (checked by {@link requireSession} before any page renders). */
export const hasSession = (c: Context): boolean => getCookie(c, SESSION_COOKIE) !== undefined;

type DashboardContext = Context<{ Bindings: Env }>;

/** "open" (local development, no keys), "keyed" (log in with an API key), or "refused" (no keys outside development). */
function accessMode(env: Env): "open" | "keyed" | "refused" {
  if (keysOf(env.STEPWISE_API_KEYS).length > 0) return "keyed";
  return env.STEPWISE_ENV === "development" ? "open" : "refused";
}

const LoginPage = ({ next, error }: { next: string; error?: string | undefined }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>Log in · Stepwise</title>
      <link rel="stylesheet" href="/dashboard/assets/app.css" />
    </head>
    <body>
      <main class="login panel">
        <h1>Stepwise</h1>
        <p class="sub">Log in with an API key (one of STEPWISE_API_KEYS).</p>
        <Notice text={error} error />
        <form method="post" action="/dashboard/login">
          <input type="hidden" name="next" value={next} />
          <label>
            API key
            <input type="password" name="key" autocomplete="current-password" required autofocus />
          </label>
          <button type="submit">Log in</button>
        </form>
      </main>
    </body>
  </html>
);

/** The login form. */
export function showLogin(c: DashboardContext, error?: string, status: 200 | 401 = 200): Response | Promise<Response> {
  if (accessMode(c.env) !== "keyed") return c.redirect("/dashboard/runs", 303);
  return c.html(<LoginPage next={safeNext(c.req.query("next"))} error={error} />, status);
}

/** Checks the key from the login form; a right one gets a session cookie and goes on. */
export async function logIn(c: DashboardContext): Promise<Response> {
  const form = await formFields(c);
  const key = typeof form.key === "string" ? form.key : "";
  const next = safeNext(typeof form.next === "string" ? form.next : undefined);
  const keys = keysOf(c.env.STEPWISE_API_KEYS);
  if (keys.length === 0 || key === "" || !(await keyMatches(key, keys))) {
    return c.html(<LoginPage next={next} error="That is not one of this Stepwise's API keys." />, 401);
  }
  setCookie(c, SESSION_COOKIE, await issueSession(key, Date.now()), {
    httpOnly: true,
    sameSite: "Strict",
    secure: new URL(c.req.url).protocol === "https:",
    path: "/dashboard",
    maxAge: SESSION_MS / 1000,
  });
  return c.redirect(next, 303);
}

/** Ends the session. */
export function logOut(c: DashboardContext): Response {
  deleteCookie(c, SESSION_COOKIE, { path: "/dashboard" });
  return c.redirect(accessMode(c.env) === "keyed" ? "/dashboard/login" : "/dashboard/runs", 303);
}

/** Lets a request through with a valid session (or when open); pages without one go to the login form. */
export const requireSession: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const mode = accessMode(c.env);
  if (mode === "open") return next();
  if (mode === "refused") {
    return c.text(
      "The dashboard needs STEPWISE_API_KEYS to be set (wrangler secret put STEPWISE_API_KEYS); without keys it opens only when STEPWISE_ENV=development.",
      503,
    );
  }
  if (await sessionValid(getCookie(c, SESSION_COOKIE), keysOf(c.env.STEPWISE_API_KEYS), Date.now())) return next();
  if (
    c.req.method === "GET" &&
    c.req.header("upgrade") === undefined &&
    c.req.header("x-stepwise-fragment") === undefined
  ) {
    const url = new URL(c.req.url);
    return c.redirect(`/dashboard/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  }
  return c.text("Log in to the dashboard first", 401);
};
