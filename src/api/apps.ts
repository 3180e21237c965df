/**
 * `/v1/apps`: remote apps (functions served by `serve()` in another Worker or on any host).
 * `POST /v1/apps` registers one by URL or service binding (API key); `POST /v1/apps/sync` is the
 * app's own call, authenticated by its signature; `GET /v1/apps` lists them.
 */
import { Hono } from "hono";
import { z } from "zod";
import { appTargetSchema } from "../../sdk/app-protocol.ts";
import { checkSignature, SIGNATURE_HEADER } from "../../sdk/signing.ts";
import { registerApp, type RegisterResult } from "../core/apps/register.ts";
import { listApps } from "../core/db/apps.ts";
import { d1ReplayGuard } from "../core/db/nonces.ts";
import type { Env } from "../core/env.ts";
import { signingKeys } from "../core/transport/app-call.ts";
import { readBody } from "./body.ts";
import { errorResponse } from "./errors.ts";

const answer = (c: Parameters<typeof errorResponse>[0], result: RegisterResult): Response =>
  result.ok
    ? c.json({ app: result.app }, 201)
    : errorResponse(c, result.status, result.code, result.message, result.issues);

export const appsApi = new Hono<{ Bindings: Env }>()
  .get("/", async (c) =>
    c.json({
      apps: (await listApps(c.env.DB)).map((app) => ({ ...app, syncedAt: new Date(app.syncedAt).toISOString() })),
    }),
  )
  .post("/", async (c) => {
    const body = await readBody(c, appTargetSchema);
    if (!body.ok) return body.response;
    return answer(c, await registerApp(c.env, body.value));
  })
  .post("/sync", async (c) => {
    const text = await c.req.text();
    const keys = signingKeys(c.env);
    if (!keys.current)
      return errorResponse(
        c,
        503,
        "signing_key_not_configured",
        "This Stepwise has no STEPWISE_SIGNING_KEY (at least 16 characters), so apps cannot sync with it",
      );
    const checked = await checkSignature(c.req.header(SIGNATURE_HEADER), text, keys.all, Date.now(), {
      request: "POST",
    });
    if ("refused" in checked) return errorResponse(c, 401, "unauthorized", `Sync refused: ${checked.refused}`);
    if (checked.nonce && !(await d1ReplayGuard(c.env.DB).claim(checked.nonce, checked.expiresAt))) {
      return errorResponse(c, 401, "unauthorized", "Sync refused: this signed request was already received (a replay)");
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return errorResponse(c, 400, "invalid_json", "The sync body is not JSON");
    }
    const target = appTargetSchema.safeParse(json);
    if (!target.success)
      return errorResponse(
        c,
        400,
        "invalid_request",
        `The sync body is invalid: ${z.prettifyError(target.error)}`,
        target.error.issues,
      );
    return answer(c, await registerApp(c.env, target.data));
  });
