/**
 * Taking a wait token's completion into the run: checks it (open, signed when the token has a
 * secret) and answers the history events that record it, or the refusal. The RunObject records
 * them; this holds no storage of its own.
 */
import type { Refusal } from "../../sdk/binding.ts";
import { checkSignature } from "../../sdk/signing.ts";
import { tokenPurpose } from "../../sdk/wait-tokens.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { tokenCompletionInputSchema, type TokenCompletionInput } from "../../src/core/runs/token-completion.ts";

export type { TokenCompletionAnswer, TokenCompletionInput } from "../../src/core/runs/token-completion.ts";
import type { HistoryEvent } from "./history.ts";
import type { RunState } from "./state.ts";
import { decideCompletion, openToken, tokenNotFound } from "./tokens.ts";

const parsed = (text: string): { data: unknown } | undefined => {
  try {
    return { data: text.trim() === "" ? null : (JSON.parse(text) as unknown) };
  } catch {
    return undefined;
  }
};

/**
 * The events that complete `input.tokenId`, or why not. `load` is read again after the signature
 * check (an await, during which another completion may have been taken).
 */
export async function takeCompletion(
  load: () => RunState | undefined,
  input: TokenCompletionInput,
): Promise<{ refusal: Refusal } | { events: HistoryEvent[]; runId: string; tokenId: string }> {
  const { tokenId, text, signature, trusted } = parseInput(tokenCompletionInputSchema, input, "token completion");
  const token = openToken(load(), tokenId, Date.now());
  if ("code" in token) return { refusal: token };
  if (token.secret !== undefined && !trusted) {
    const checked = await checkSignature(signature, text, [token.secret], Date.now(), tokenPurpose(tokenId));
    if ("refused" in checked)
      return { refusal: { code: "bad_signature", status: 401, message: `Refused: ${checked.refused}` } };
  }
  const state = load();
  const still = openToken(state, tokenId, Date.now());
  if (!state || "code" in still) return { refusal: "code" in still ? still : tokenNotFound(tokenId) };
  const body = parsed(text);
  if (!body)
    return { refusal: { code: "invalid_json", status: 400, message: "A token completion's body must be JSON" } };
  return { events: decideCompletion(state, still, body.data, Date.now()), runId: state.runId, tokenId };
}
