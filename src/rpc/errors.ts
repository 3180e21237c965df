/**
 * Errors the RPC entrypoint throws. Workers RPC keeps an error's message and its `name` only for
 * built-in types, so each message starts with what went wrong in words a caller can act on.
 */

/** An argument failed its schema; the message lists the zod issues. */
export { InvalidInputError } from "../lib/parse.ts";

/** The function named does not exist in this Stepwise. */
export class FunctionNotFoundError extends Error {
  override name = "FunctionNotFoundError";
}

/** An event is larger than the configured limit; nothing in the call was accepted. */
export class PayloadTooLargeError extends Error {
  override name = "PayloadTooLargeError";
}

/** The app could not be registered: unreachable, invalid functions, or ids another app owns. */
export class AppRegistrationError extends Error {
  override name = "AppRegistrationError";
}
