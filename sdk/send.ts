/**
 * Where a client reaches Stepwise (a service binding inside a Worker, or its HTTPS API from
 * anywhere else) and sending events through either with one `send()`.
 */
import type { StepwiseBinding } from "./binding.ts";
import { bindingValueSchemas } from "./binding.ts";
import { StepwiseError } from "./errors.ts";
import { unwrapAnswer, unwrapResponse, type RefusalError } from "./refusal.ts";
import type { SendableEvent } from "./sendable.ts";

export type { SendableEvent } from "./sendable.ts";

/** Where a client reaches Stepwise: a binding, or a base URL with its keys. */
export type StepwiseTarget =
  | { binding: StepwiseBinding }
  | { baseUrl: string; eventKey?: string | undefined; apiKey?: string | undefined; fetch?: typeof fetch | undefined };

/** Stepwise refused the events (the status and the API's error code say why) or could not be reached. */
export class SendEventsError extends StepwiseError {
  override name = "SendEventsError";
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    readonly issues: unknown[] = [],
  ) {
    super(message);
  }
}

const sendRefused: RefusalError = (refusal) =>
  new SendEventsError(refusal.message, refusal.status, refusal.code, refusal.issues ?? []);
const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

/** Sends events to `target`; resolves with their ids once Stepwise has accepted them. */
export async function sendEvents(
  target: StepwiseTarget,
  events: SendableEvent | SendableEvent[],
): Promise<{ ids: string[] }> {
  if ("binding" in target) {
    let answer: unknown;
    try {
      answer = await target.binding.send(events);
    } catch (cause) {
      throw new SendEventsError(`Could not reach Stepwise over its binding: ${describe(cause)}`);
    }
    return unwrapAnswer(answer, bindingValueSchemas.send, sendRefused);
  }
  const doFetch = target.fetch ?? fetch;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.eventKey) headers.authorization = `Bearer ${target.eventKey}`;
  let response: Response;
  try {
    response = await doFetch(new URL("/v1/events", target.baseUrl).toString(), {
      method: "POST",
      headers,
      body: JSON.stringify(events),
    });
  } catch (cause) {
    throw new SendEventsError(`Could not reach Stepwise at ${target.baseUrl}: ${describe(cause)}`);
  }
  return unwrapResponse(response, bindingValueSchemas.send, sendRefused);
}
