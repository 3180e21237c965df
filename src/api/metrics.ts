/**
 * `GET /v1/metrics`: Prometheus's scrape endpoint (text format 0.0.4), behind the API key like
 * every other API route (give the scraper `authorization: Bearer <key>`). See core/telemetry/metrics.ts.
 */
import { Hono } from "hono";
import type { Env } from "../core/env.ts";
import { metricsText } from "../core/telemetry/metrics.ts";

export const metricsApi = new Hono<{ Bindings: Env }>().get("/", async (c) =>
  c.body(await metricsText(c.env), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }),
);
