/**
 * The run's event as a wait is registered with. A WaitIndex keeps it with each waiter, for the
 * condition's `event.…` side and the keyed shard it picks. A run whose event data is kept in R2
 * (a claim: too large for a row) registers with only the `event.data.…` values the condition
 * names, read back from R2 by the caller; a condition that reads the data some other way sees
 * none of it.
 */
import type { RunEvent } from "../../../sdk/protocol.ts";

/** Dotted reads of the run's event data in a condition: `event.data.order.id` → ["order", "id"]. */
const DATA_READS = /\bevent\.data((?:\.[A-Za-z_$][A-Za-z0-9_$]*)+)/g;

/** `event` cut down for a wait with `condition`: whole when its data is inline, else what the condition reads. */
export function waitTrigger(event: RunEvent, condition: string | undefined): RunEvent {
  if (!event.claim) return event;
  const { claim: _claim, ...rest } = event;
  const data: Record<string, unknown> = {};
  for (const [, path = ""] of (condition ?? "").matchAll(DATA_READS)) {
    const keys = path.slice(1).split(".");
    let source: unknown = event.data;
    let target = data;
    keys.forEach((key, index) => {
      if (typeof source !== "object" || source === null || !(key in source)) return void (source = undefined);
      source = (source as Record<string, unknown>)[key];
      if (index === keys.length - 1) target[key] = source;
      else target = (target[key] ??= {}) as Record<string, unknown>;
    });
  }
  return { ...rest, data };
}
