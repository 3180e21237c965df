/**
 * Wait tokens, the engine's side (pure): what `step.createToken` and `step.waitForToken` record,
 * and whether a completion is taken. A token lives in its run's history; its id names the run, so
 * a completion goes straight to the RunObject and no index is needed.
 */
import type { ReachedStep } from "../../sdk/protocol.ts";
import { tokenPath, type TokenCompletion, type WaitToken } from "../../sdk/wait-tokens.ts";
import { namedError } from "../../sdk/error-names.ts";
import type { TokenView } from "../../sdk/runs.ts";

export type { TokenView };
import type { HistoryEvent } from "./history.ts";
import type { RunState, TokenState } from "./state.ts";
import { mintTokenId, UNKEYED_TOKEN_KEY } from "../../src/core/runs/token-ids.ts";

/** The token as its step returns it: the URL is absolute when the deployment's public URL is known. */
export function publicToken(token: Pick<TokenState, "id" | "until">, publicUrl: string | undefined): WaitToken {
  const base = (publicUrl ?? "").replace(/\/+$/, "");
  return { id: token.id, url: `${base}${tokenPath(token.id)}`, expiresAt: new Date(token.until).toISOString() };
}

const completion = (token: TokenState): TokenCompletion => ({
  tokenId: token.id,
  data: token.completed?.data ?? null,
  completedAt: new Date(token.completed?.at ?? 0).toISOString(),
});

type TokenStep = Extract<ReachedStep, { type: "token" } | { type: "token-wait" }>;

/**
 * What a reached token step records. A new token is made here; a wait for a token that was
 * already completed (or has expired) ends as soon as it begins.
 */
export function decideToken(
  state: RunState,
  reached: TokenStep,
  now: number,
  host: { publicUrl?: string | undefined; tokenKey?: string | undefined },
): HistoryEvent[] {
  const { publicUrl } = host;
  const newTokenId = (runId: string): string => mintTokenId(runId, host.tokenKey ?? UNKEYED_TOKEN_KEY);
  if (state.steps.has(reached.id)) return [];
  const named = { stepId: reached.id, name: reached.name };
  const { until, secret, tokenId } = reached.token;
  const created = (id: string): HistoryEvent => ({
    type: "token.created",
    ...named,
    tokenId: id,
    until,
    ...(secret !== undefined ? { secret } : {}),
  });
  if (reached.type === "token") {
    const id = newTokenId(state.runId);
    const output = publicToken({ id, until }, publicUrl);
    return [created(id), { type: "step.completed", ...named, op: "token", attempt: 0, output }];
  }
  if (tokenId === undefined) {
    const id = newTokenId(state.runId);
    return [created(id), { type: "step.token-waiting", ...named, tokenId: id, until }];
  }
  const token = state.tokens.get(tokenId);
  if (!token) {
    const message = `step.waitForToken("${reached.id}"): token ${tokenId} was not created by this run`;
    return [{ type: "step.failed", ...named, op: "wait", attempt: 0, error: namedError("UnknownTokenError", message) }];
  }
  const waiting: HistoryEvent = { type: "step.token-waiting", ...named, tokenId, until: token.until };
  if (token.completed)
    return [waiting, { type: "step.completed", ...named, op: "wait", attempt: 0, output: completion(token) }];
  if (token.until <= now)
    return [waiting, { type: "step.completed", ...named, op: "wait", attempt: 0, output: null, timedOut: true }];
  return [waiting];
}

/** Why a completion is refused, with the HTTP status it answers with. */
export interface TokenRefusal {
  code: "token_not_found" | "token_completed" | "token_expired" | "run_ended";
  status: 404 | 409 | 410;
  message: string;
}

export const tokenNotFound = (tokenId: string): TokenRefusal => ({
  code: "token_not_found",
  status: 404,
  message: `No wait token ${tokenId}`,
});

/** The token `tokenId` of the run, or why it cannot be completed now. */
export function openToken(state: RunState | undefined, tokenId: string, now: number): TokenState | TokenRefusal {
  const token = state?.tokens.get(tokenId);
  if (!state || !token) return tokenNotFound(tokenId);
  if (token.completed)
    return { code: "token_completed", status: 409, message: `Wait token ${tokenId} was already completed` };
  if (state.terminal)
    return { code: "run_ended", status: 410, message: `The run of wait token ${tokenId} has ${state.terminal}` };
  if (token.until <= now)
    return {
      code: "token_expired",
      status: 410,
      message: `Wait token ${tokenId} expired at ${new Date(token.until).toISOString()}`,
    };
  return token;
}

/** What completing an open token records: the completion, and the end of the step waiting for it. */
export function decideCompletion(state: RunState, token: TokenState, data: unknown, now: number): HistoryEvent[] {
  const events: HistoryEvent[] = [{ type: "token.completed", tokenId: token.id, data }];
  const completed = { ...token, completed: { data, at: now } };
  for (const step of state.steps.values()) {
    if (step.status !== "waiting" || step.tokenId !== token.id) continue;
    const named = { stepId: step.id, name: step.name };
    events.push({ type: "step.completed", ...named, op: "wait", attempt: 0, output: completion(completed) });
  }
  return events;
}

/** The run's tokens as its view shows them: never a secret. */
export function tokenViews(state: RunState, now: number, publicUrl?: string): TokenView[] {
  return [...state.tokens.values()].map((token) => ({
    ...publicToken(token, publicUrl),
    stepId: token.stepId,
    status: token.completed ? "completed" : token.until <= now || state.terminal ? "expired" : "open",
    completedAt: token.completed ? new Date(token.completed.at).toISOString() : undefined,
    signed: token.secret !== undefined,
  }));
}
