/**
 * What the SDK's execution tests share: a function made from a bare handler, and a protocol
 * request for it, with memoized `steps` and any field overridden.
 */
import { Stepwise } from "./client.ts";
import type { Handler } from "./function.ts";
import type { ExecutionRequest, MemoStep } from "./protocol.ts";

const client = new Stepwise({ id: "unit" });

/** A function with id "f" whose handler is `handler`. */
export const fnOf = (handler: Handler<Record<string, unknown>, unknown>) =>
  client.createFunction({ id: "f" }, [], handler);

/** A request to execute "f" for run "r1", its first attempt, with `steps` memoized. */
export function requestWith(
  steps: Record<string, MemoStep> = {},
  extra: Partial<ExecutionRequest> = {},
): ExecutionRequest {
  const event = { id: "e1", name: "test/event", data: { n: 1 }, ts: 0 };
  return {
    version: 1,
    functionId: "f",
    runId: "r1",
    attempt: 0,
    event,
    events: [event],
    steps,
    allowImmediate: true,
    ...extra,
  };
}
