/**
 * Refusals of the RPC entrypoint. They are answered, not thrown: Workers RPC would keep only an
 * error's message, and log every refused call as an uncaught exception of this Worker. Each
 * carries the code and status the HTTP API answers the same refusal with; the SDK turns it back
 * into a typed error (sdk/refusal.ts).
 */
import type { Refusal, RpcAnswer } from "../../sdk/binding.ts";
import { InvalidInputError } from "../core/lib/parse.ts";

/** Thrown inside an RPC method to refuse the call; {@link answering} turns it into the answer. */
class RpcRefusal extends Error {
  override name = "RpcRefusal";
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

/** An argument failed its schema; the message lists the zod issues. */
export const invalidInput = (message: string): RpcRefusal =>
  new RpcRefusal({ code: "invalid_request", status: 400, message });
/** The function named does not exist in this Stepwise. */
export const functionNotFound = (message: string): RpcRefusal =>
  new RpcRefusal({ code: "function_not_found", status: 404, message });
/** The run named does not exist (where a missing run is a refusal, not a null answer). */
export const runNotFound = (message: string): RpcRefusal =>
  new RpcRefusal({ code: "run_not_found", status: 404, message });
/** An event (or invoked data) is larger than the configured limit; nothing in the call was accepted. */
export const payloadTooLarge = (message: string, code: "event_too_large" | "payload_too_large"): RpcRefusal =>
  new RpcRefusal({ code, status: 413, message });
/** The run has moved on from what was asked (a reschedule of a run that started). */
export const runConflict = (code: string, message: string): RpcRefusal =>
  new RpcRefusal({ code, status: 409, message });
/** The app could not be registered: unreachable, invalid functions, or ids another app owns. */
export const appRegistrationFailed = (code: string, status: number, message: string): RpcRefusal =>
  new RpcRefusal({ code, status, message });

/** A schedule change refused by core/schedules/manage.ts (unknown schedule, a taken key, too many). */
export const scheduleRefused = (refusal: { status: number; code: string; message: string }): RpcRefusal =>
  new RpcRefusal(refusal);

/** The object refused the subscription (no such run): its status and message. */
export const subscriptionRefused = (status: number, body: string): RpcRefusal => {
  const code = /"code":"([a-z_]+)"/.exec(body)?.[1] ?? "subscription_refused";
  return new RpcRefusal({ code, status, message: body.slice(0, 500) });
};

/**
 * Runs an RPC method's body and answers with its value, or with the refusal it threw (a schema
 * failure, {@link InvalidInputError}, is one too). Anything else is a fault of Stepwise's and is
 * thrown as such.
 */
export async function answering<T>(call: () => Promise<T>): Promise<RpcAnswer<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error instanceof RpcRefusal) return { ok: false, refusal: error.refusal };
    if (error instanceof InvalidInputError) return { ok: false, refusal: invalidInput(error.message).refusal };
    throw error;
  }
}
