/**
 * The page shell: head, top bar and the live region. A request with `x-stepwise-fragment: 1`
 * (the live script refreshing) gets only the live region's content.
 */
import type { Context } from "hono";
import { raw } from "hono/html";
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { hasSession } from "./auth.tsx";

/** Which top-level section a page belongs to. */
export type Section = "runs" | "events" | "functions" | "schedules" | "alerts" | "none";

interface ShellProps {
  title: string;
  section: Section;
  /** WebSocket paths the live region listens on (a run's page: its RunObject). */
  live?: string[] | undefined;
  /**
   * How often a list page's live region fetches itself again, in ms: lists read the run-index
   * shards, which tell no one of writes (a notice per write would cost more than the reads).
   */
  poll?: number | undefined;
  /** Content above the live region (forms keep what is typed in them while the region refreshes). */
  head?: Child;
  /** Where the live region refetches itself: the page's GET URL, when this answer is to a form's POST. */
  src?: string | undefined;
}

const NavLink: FC<{ href: string; here: boolean; children: string }> = ({ href, here, children }) => (
  <a href={href} class={here ? "here" : undefined}>
    {children}
  </a>
);

const Shell: FC<PropsWithChildren<ShellProps & { signedIn: boolean }>> = ({
  title,
  section,
  live,
  poll,
  head,
  src,
  signedIn,
  children,
}) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · Stepwise`}</title>
      <link rel="icon" type="image/svg+xml" href="/dashboard/assets/favicon.svg" />
      <link rel="stylesheet" href="/dashboard/assets/app.css" />
      <script src="/dashboard/assets/app.js" defer></script>
    </head>
    <body>
      <header class="top">
        <a class="brand" href="/dashboard/runs">
          Stepwise
        </a>
        <nav>
          <NavLink href="/dashboard/runs" here={section === "runs"}>
            Runs
          </NavLink>
          <NavLink href="/dashboard/events" here={section === "events"}>
            Events
          </NavLink>
          <NavLink href="/dashboard/functions" here={section === "functions"}>
            Functions
          </NavLink>
          <NavLink href="/dashboard/schedules" here={section === "schedules"}>
            Schedules
          </NavLink>
          <NavLink href="/dashboard/alerts" here={section === "alerts"}>
            Alerts
          </NavLink>
        </nav>
        {(live && live.length > 0) || poll ? (
          <span id="live-indicator" class="live off">
            connecting
          </span>
        ) : null}
        <button id="theme-toggle" class="plain" type="button" title="Switch between light and dark">
          ◐
        </button>
        {signedIn ? (
          <form method="post" action="/dashboard/logout">
            <button class="plain" type="submit">
              Log out
            </button>
          </form>
        ) : null}
      </header>
      <main>
        {head}
        <div
          id="live-region"
          data-live={live && live.length > 0 ? JSON.stringify(live) : undefined}
          data-poll={poll ? String(poll) : undefined}
          data-src={src}
        >
          {children}
        </div>
      </main>
    </body>
  </html>
);

/** Renders a dashboard page, or only its live region when the live script asks. */
export function page(
  c: Context,
  props: ShellProps,
  body: Child,
  status: ContentfulStatusCode = 200,
): Response | Promise<Response> {
  if (c.req.header("x-stepwise-fragment") === "1") return c.html(<>{body}</>, status, { "cache-control": "no-store" });
  return c.html(
    <>
      {raw("<!doctype html>")}
      {/* "Log out" only where there is a session to end (not on an open local dashboard). */}
      <Shell {...props} signedIn={hasSession(c)}>
        {body}
      </Shell>
    </>,
    status,
    { "cache-control": "no-store" },
  );
}
