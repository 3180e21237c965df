/**
 * The name an object was reached by, kept in its storage. `ctx.id.name` is there for a call made
 * through a named stub, but not for an alarm delivered to a fresh instance (after a restart or an
 * eviction): an object whose alarm needs its name keeps it with the state that arms the alarm.
 */
const KEY = "objectName";

/** Keeps the name of the call being served, if it has one; call it wherever the alarm is armed. */
export function keepName(ctx: DurableObjectState): void {
  const given = ctx.id.name;
  if (given !== undefined && ctx.storage.kv.get(KEY) !== given) ctx.storage.kv.put(KEY, given);
}

/** The object's name: the call's own, or the one kept by {@link keepName}. */
export function objectName(ctx: DurableObjectState): string | undefined {
  if (ctx.id.name !== undefined) return ctx.id.name;
  const kept = ctx.storage.kv.get(KEY);
  return typeof kept === "string" ? kept : undefined;
}
