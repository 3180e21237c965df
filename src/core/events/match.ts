/**
 * Which functions an event starts: pure, so it is tested in plain Node. A trigger matches by name
 * (exact, or a prefix ending in `*`) and by its optional `if` expression; a function's
 * `idempotency` expression gives the key that limits it to one run per key value.
 */
import { compileExpression, holds, keyOf } from "../../../sdk/expression.ts";
import type { FunctionConfig, Trigger } from "../../../sdk/function.ts";

/** What matching needs of a function: its id, triggers and idempotency expression. */
export interface MatchableFunction {
  id: string;
  triggers: Trigger[];
  config: Pick<FunctionConfig, "idempotency">;
}

/** The event fields expressions see (`event.name`, `event.data`, ...). */
export interface MatchableEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
  ts: number;
  user?: Record<string, unknown> | undefined;
}

/** A function the event starts, with the idempotency key when the function has one. */
export interface Match<F extends MatchableFunction = MatchableFunction> {
  fn: F;
  idempotencyKey?: string;
}

/** Whether an event named `name` fits the trigger's event pattern. */
export function nameMatches(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function triggerMatches(trigger: Trigger, event: MatchableEvent): boolean {
  if (!("event" in trigger) || !nameMatches(trigger.event, event.name)) return false;
  return trigger.if === undefined || holds(compileExpression(trigger.if), { event });
}

/** Every function among `functions` that `event` starts, each once even if several triggers match. */
export function matchFunctions<F extends MatchableFunction>(functions: Iterable<F>, event: MatchableEvent): Match<F>[] {
  const matches: Match<F>[] = [];
  for (const fn of functions) {
    if (!fn.triggers.some((trigger) => triggerMatches(trigger, event))) continue;
    const { idempotency } = fn.config;
    if (idempotency === undefined) {
      matches.push({ fn });
      continue;
    }
    // An event without the key still runs: losing it would be worse than running it unkeyed.
    const key = keyOf(compileExpression(idempotency), { event });
    matches.push(key === undefined ? { fn } : { fn, idempotencyKey: key });
  }
  return matches;
}
