/**
 * Inngest's event API, so its official clients send to Stepwise unchanged: `POST /e/:eventKey`
 * with an event or an array, answered `{ ids, status: 200 }`. The key in the path is checked by
 * the auth middleware.
 */
import { Hono } from "hono";
import type { Env } from "../core/env.ts";
import { ingest } from "./ingest.ts";

export const inngestApi = new Hono<{ Bindings: Env }>().post("/:eventKey", async (c) => {
  const result = await ingest(c);
  return result.ok ? c.json({ ids: result.ids, status: 200 }) : result.response;
});
