/**
 * Concurrency slots, decided without I/O: who holds a slot, who waits, and who gets the next free
 * one. Waiters are served round robin across keys (the key that was served longest ago goes
 * first), oldest first within a key (less its priority), so one busy tenant cannot starve the others. Slots are
 * leases: a holder that never releases (its run crashed) loses the slot when the lease expires.
 */

/** A slot held by one step of one run. */
export interface Holder {
  runId: string;
  stepId: string;
  expiresAt: number;
}

/** A step waiting for a slot, with the key it is counted under (for fairness). */
export interface SlotWaiter {
  runId: string;
  stepId: string;
  key: string;
  enqueuedAt: number;
  /** How far ahead of others that waited as long this step goes (the function's `priority`). */
  priorityMs?: number | undefined;
}

/** A waiter's place in line within its key: earlier is served first. */
const place = (waiter: SlotWaiter): number => waiter.enqueuedAt - (waiter.priorityMs ?? 0);

/** The state of one limiter. */
export interface SlotState {
  limit: number;
  holders: Holder[];
  waiters: SlotWaiter[];
  /** When each key last got a slot. */
  lastServed: Record<string, number>;
}

const same = (a: { runId: string; stepId: string }, b: { runId: string; stepId: string }): boolean => a.runId === b.runId && a.stepId === b.stepId;

/** Drops holders whose lease has expired. */
export function expire(state: SlotState, now: number): Holder[] {
  const expired = state.holders.filter((holder) => holder.expiresAt <= now);
  state.holders = state.holders.filter((holder) => holder.expiresAt > now);
  return expired;
}

/** Grants free slots to waiters, fairly; returns the waiters granted. */
export function grant(state: SlotState, now: number, leaseMs: number): SlotWaiter[] {
  const granted: SlotWaiter[] = [];
  while (state.holders.length < state.limit && state.waiters.length > 0) {
    const keys = [...new Set(state.waiters.map((waiter) => waiter.key))];
    keys.sort((a, b) => (state.lastServed[a] ?? -1) - (state.lastServed[b] ?? -1));
    const key = keys[0]!;
    let index = -1;
    state.waiters.forEach((waiter, i) => {
      if (waiter.key === key && (index < 0 || place(waiter) < place(state.waiters[index]!))) index = i;
    });
    const [next] = state.waiters.splice(index, 1);
    if (!next) break;
    state.holders.push({ runId: next.runId, stepId: next.stepId, expiresAt: now + leaseMs });
    // Strictly increasing, so two grants in the same millisecond still rotate keys.
    state.lastServed[key] = Math.max(now, ...Object.values(state.lastServed).map((at) => at + 1));
    granted.push(next);
  }
  return granted;
}

/**
 * A step asks for a slot: true when it holds one (now or already); otherwise it waits, once,
 * behind the others.
 */
export function acquire(state: SlotState, request: Omit<SlotWaiter, "enqueuedAt">, now: number, leaseMs: number): boolean {
  expire(state, now);
  const held = state.holders.find((holder) => same(holder, request));
  if (held) {
    held.expiresAt = now + leaseMs;
    return true;
  }
  if (!state.waiters.some((waiter) => same(waiter, request))) state.waiters.push({ ...request, enqueuedAt: now });
  grant(state, now, leaseMs);
  return state.holders.some((holder) => same(holder, request));
}

/** A run that has ended gives back every slot it holds and stops waiting; returns the waiters granted. */
export function releaseRun(state: SlotState, runId: string, now: number, leaseMs: number): SlotWaiter[] {
  state.holders = state.holders.filter((holder) => holder.runId !== runId);
  state.waiters = state.waiters.filter((waiter) => waiter.runId !== runId);
  expire(state, now);
  return grant(state, now, leaseMs);
}

/** A step gives its slot back (or stops waiting); returns the waiters that get the freed slots. */
export function release(state: SlotState, who: { runId: string; stepId: string }, now: number, leaseMs: number): SlotWaiter[] {
  state.holders = state.holders.filter((holder) => !same(holder, who));
  state.waiters = state.waiters.filter((waiter) => !same(waiter, who));
  expire(state, now);
  return grant(state, now, leaseMs);
}
