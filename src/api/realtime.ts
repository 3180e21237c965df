/**
 * `/v1/realtime`: subscription tokens and publishing (API key), and subscribing (the token is the
 * key, any origin): a WebSocket when the request asks to upgrade, Server-Sent Events otherwise.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { z } from "zod";
import {
  MAX_MESSAGE_BYTES,
  MAX_MESSAGES_PER_PUBLISH,
  streamNameSchema,
  TOKEN_TTL,
} from "../../sdk/realtime/messages.ts";
import type { Env } from "../core/env.ts";
import { formatBytes, jsonBytes } from "../core/lib/json-size.ts";
import { publishMessages } from "../core/realtime/publish.ts";
import { openSubscription, relay, SSE_KEEPALIVE, sseFrame } from "../core/realtime/subscribe.ts";
import { checkToken, mintToken } from "../core/realtime/tokens.ts";
import { readBody, readQuery } from "./body.ts";
import { errorResponse } from "./errors.ts";

const tokenBodySchema = z
  .object({
    run: z.string().min(1).max(200).optional(),
    stream: streamNameSchema.optional(),
    ttlSeconds: z.number().int().min(1).max(TOKEN_TTL.max).optional(),
  })
  .strict()
  .refine((body) => (body.run === undefined) !== (body.stream === undefined), {
    error: "name exactly one of `run` or `stream`",
  });

const publishBodySchema = z
  .object({
    stream: streamNameSchema,
    messages: z
      .array(z.object({ id: z.string().min(1).max(300).optional(), data: z.unknown() }).strict())
      .min(1)
      .max(MAX_MESSAGES_PER_PUBLISH),
  })
  .strict();

const subscribeQuerySchema = z.object({
  token: z.string().max(2_048).optional(),
  after: z.coerce.number().int().min(0).optional(),
  /** What the subscriber means to open: refused unless it is what the token opens. */
  run: z.string().max(200).optional(),
  stream: z.string().max(200).optional(),
});

/** Minting tokens and publishing: behind the API key, like the rest of /v1. */
export const realtimeApi = new Hono<{ Bindings: Env }>()
  .post("/tokens", async (c) => {
    const body = await readBody(c, tokenBodySchema);
    if (!body.ok) return body.response;
    const { run, stream, ttlSeconds } = body.value;
    const scope = run !== undefined ? { run } : { stream: stream ?? "" };
    return c.json(await mintToken(c.env, scope, ttlSeconds), 201);
  })
  .post("/publish", async (c) => {
    const body = await readBody(c, publishBodySchema);
    if (!body.ok) return body.response;
    const { stream, messages } = body.value;
    const big = messages.findIndex((message) => jsonBytes(message.data ?? null) > MAX_MESSAGE_BYTES);
    if (big >= 0)
      return errorResponse(
        c,
        413,
        "payload_too_large",
        `Message ${big} is ${formatBytes(jsonBytes(messages[big]?.data ?? null))} of JSON; the limit is ${formatBytes(MAX_MESSAGE_BYTES)}`,
      );
    return c.json(await publishMessages(c.env, stream, messages));
  });

/** Subscribing: the token is the permission, so any origin may (a browser on the user's own site). */
export const subscribeApi = new Hono<{ Bindings: Env }>()
  .use("*", cors({ origin: "*", allowMethods: ["GET", "OPTIONS"], maxAge: 86_400 }))
  .get("/", async (c) => {
    const query = readQuery(c, subscribeQuerySchema);
    if (!query.ok) return query.response;
    const checked = await checkToken(c.env, query.value.token, Date.now());
    if ("refused" in checked) return errorResponse(c, 401, "invalid_token", `Refused: ${checked.refused}`);
    const { run, stream } = query.value;
    const named = "run" in checked.scope ? { run: checked.scope.run } : { stream: checked.scope.stream };
    if ((run !== undefined && run !== named.run) || (stream !== undefined && stream !== named.stream))
      return errorResponse(
        c,
        403,
        "token_scope",
        `Refused: this token opens ${"run" in named ? `run ${named.run}` : `stream ${named.stream}`}, not ${run !== undefined ? `run ${run}` : `stream ${stream}`}`,
      );
    const opened = await openSubscription(c.env, { ...checked, after: query.value.after });
    if (c.req.header("upgrade")?.toLowerCase() === "websocket" || !opened.webSocket) return opened;
    const body = relay(opened.webSocket, sseFrame, SSE_KEEPALIVE);
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache, no-transform",
        "access-control-allow-origin": "*",
      },
    });
  });
