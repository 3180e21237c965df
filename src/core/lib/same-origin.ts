/**
 * Cross-site request forgery guards. A browser marks every request it sends with where it comes
 * from (`Origin`; `Sec-Fetch-Site`), whatever its content type; hono/csrf looks only at the types
 * an HTML form can send, so a cross-site `fetch` with `application/json` passed it.
 */
import type { MiddlewareHandler } from "hono";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Why `request` may not change anything, or null. With `requireOrigin` (the dashboard, which only
 * browsers use) a request must say it comes from this very origin; without it (the API, which
 * curl and SDKs call with no Origin) it is refused only when a browser says it comes from elsewhere.
 */
function crossSiteReason(request: Request, requireOrigin: boolean): string | null {
  if (SAFE.has(request.method)) return null;
  const origin = request.headers.get("origin");
  if (origin !== null)
    return origin === new URL(request.url).origin ? null : `it comes from another origin (${origin.slice(0, 200)})`;
  const site = request.headers.get("sec-fetch-site");
  if (site === "same-origin" || (site === null && !requireOrigin) || (site === "none" && !requireOrigin)) return null;
  return site
    ? `it comes from another site (Sec-Fetch-Site: ${site.slice(0, 40)})`
    : "it names no origin (no Origin or Sec-Fetch-Site header)";
}

/** Answers 403 to a state-changing request from another site (see {@link crossSiteReason}). */
export function sameOriginOnly(requireOrigin: boolean, refuse: (reason: string) => Response): MiddlewareHandler {
  return async (c, next) => {
    const reason = crossSiteReason(c.req.raw, requireOrigin);
    if (reason) return refuse(reason);
    await next();
  };
}
