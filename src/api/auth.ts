/**
 * Keys: event keys for ingestion, API keys for everything else. Keys are compared in constant
 * time (hashed first, so lengths leak nothing either). In development a kind of key that is not
 * configured leaves its routes open, and the Worker says so; anywhere else it refuses them.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Env } from "../core/env.ts";
import { keyMatches, keysOf } from "../core/lib/keys.ts";
import { errorResponse } from "./errors.ts";

/** Which keys a route takes. */
export type KeyKind = "api" | "event";

const warnedOpen = new Set<KeyKind>();

function bearer(c: Context): string | undefined {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim();
}

/** Requires a key of `kind` (API keys are accepted everywhere); `fromPath` names a path parameter holding it. */
export function requireKey(kind: KeyKind, fromPath?: string): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const apiKeys = keysOf(c.env.STEPWISE_API_KEYS);
    const accepted = kind === "event" ? [...keysOf(c.env.STEPWISE_EVENT_KEYS), ...apiKeys] : apiKeys;
    if (accepted.length === 0) {
      if (c.env.STEPWISE_ENV !== "development") {
        const variable = kind === "event" ? "STEPWISE_EVENT_KEYS" : "STEPWISE_API_KEYS";
        return errorResponse(
          c,
          503,
          "keys_not_configured",
          `This Stepwise Worker has no ${kind} keys: set ${variable} (wrangler secret put ${variable})`,
        );
      }
      if (!warnedOpen.has(kind)) {
        warnedOpen.add(kind);
        console.warn(`stepwise: ${kind} routes are OPEN (no keys set; allowed only because STEPWISE_ENV=development)`);
      }
      return next();
    }
    const given = (fromPath ? c.req.param(fromPath) : undefined) ?? bearer(c);
    if (given === undefined || !(await keyMatches(given, accepted)))
      return errorResponse(c, 401, "unauthorized", "Missing or invalid key");
    return next();
  };
}
