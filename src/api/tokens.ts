/**
 * `/v1/tokens/:id`: a wait token's own URL. It takes no API key (the URL is the capability) and
 * answers any origin, so a page in a user's browser or a third party's webhook can complete it:
 * `POST …/complete` with a JSON body (signed with the token's secret when it has one), `GET` its
 * status. The API's operators complete tokens with a key at `/v1/runs/:id/tokens/:token/complete`.
 */
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { SIGNATURE_HEADER } from "../../sdk/signing.ts";
import { MAX_TOKEN_DATA_BYTES } from "../../sdk/wait-tokens.ts";
import type { Env } from "../core/env.ts";
import { runObject } from "../core/objects.ts";
import { completeToken, runOfPublicToken, type TokenCompletionAnswer } from "../core/runs/token-completion.ts";
import { errorResponse } from "./errors.ts";
import { formatBytes } from "../core/lib/json-size.ts";

/** Reads the body once, refusing one that says it is over the limit before reading it. */
async function bodyText(c: Context): Promise<string | undefined> {
  if (Number(c.req.header("content-length") ?? 0) > MAX_TOKEN_DATA_BYTES) return undefined;
  return c.req.text();
}

/** The answer to a completion: what it resumed, or the refusal in the API's error shape. */
export function completionResponse(c: Context, answer: TokenCompletionAnswer): Response {
  if (answer.ok) return c.json(answer.value);
  const { status, code, message } = answer.refusal;
  return errorResponse(c, status as ContentfulStatusCode, code, message);
}

/** Completes `tokenId` with the request's body; `trusted` skips a token's signature (operators). */
export async function completeFromRequest(c: Context<{ Bindings: Env }>, tokenId: string, trusted: boolean) {
  const text = await bodyText(c);
  if (text === undefined)
    return errorResponse(
      c,
      413,
      "payload_too_large",
      `A token completion's body is ${formatBytes(Number(c.req.header("content-length")))}; the limit is ${formatBytes(MAX_TOKEN_DATA_BYTES)}`,
    );
  const answer = await completeToken(c.env, tokenId, text, c.req.header(SIGNATURE_HEADER) ?? null, trusted);
  return completionResponse(c, answer);
}

export const tokensApi = new Hono<{ Bindings: Env }>()
  .use(
    "*",
    cors({
      origin: "*",
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["content-type", SIGNATURE_HEADER],
      maxAge: 86_400,
    }),
  )
  .post("/:id/complete", (c) => completeFromRequest(c, c.req.param("id"), false))
  .get("/:id", async (c) => {
    const tokenId = c.req.param("id");
    const door = runOfPublicToken(c.env, tokenId);
    if ("refusal" in door) {
      const { status, code, message } = door.refusal;
      return errorResponse(c, status as ContentfulStatusCode, code, message);
    }
    const token = await runObject(c.env, door.runId).getToken(tokenId);
    return token ? c.json(token) : errorResponse(c, 404, "token_not_found", `No wait token ${tokenId.slice(0, 300)}`);
  });
