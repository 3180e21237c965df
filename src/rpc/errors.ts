/**
 * Errors the RPC entrypoint throws. Workers RPC keeps an error's message and, for built-in types
 * only, its `name`; so each message says what went wrong in words a caller can act on, and ends
 * with the refusal's code and HTTP status (sdk/refusal.ts), which the SDK turns back into a typed
 * error with the code the HTTP API would have answered.
 */
import { markRefusal, REFUSAL_NAME, type Refusal } from "../../sdk/refusal.ts";
import { InvalidInputError } from "../lib/parse.ts";

/** A refusal of the RPC entrypoint: a message, and the HTTP API's code and status for it. */
export class RpcRefusal extends Error {
  override name = REFUSAL_NAME;
  constructor(message: string, refusal: Refusal) {
    super(markRefusal(message, refusal));
  }
}

/** An argument failed its schema; the message lists the zod issues. */
export const invalidInput = (message: string): RpcRefusal => new RpcRefusal(message, { code: "invalid_request", status: 400 });
/** The function named does not exist in this Stepwise. */
export const functionNotFound = (message: string): RpcRefusal => new RpcRefusal(message, { code: "function_not_found", status: 404 });
/** An event (or invoked data) is larger than the configured limit; nothing in the call was accepted. */
export const payloadTooLarge = (message: string, code: "event_too_large" | "payload_too_large"): RpcRefusal => new RpcRefusal(message, { code, status: 413 });
/** The app could not be registered: unreachable, invalid functions, or ids another app owns. */
export const appRegistrationFailed = (code: string, status: number, message: string): RpcRefusal => new RpcRefusal(message, { code, status });

/** Runs `call`, turning a schema failure ({@link InvalidInputError}) into a marked refusal. */
export async function refusing<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof InvalidInputError) throw invalidInput(error.message);
    throw error;
  }
}
