/**
 * EventSweeper: the safety net under the EVENTS queue. Ingestion arms it before answering; its
 * alarm re-queues every event accepted but still unrouted after a grace period (the queue lost it,
 * or the Worker restarted between accept and route), and re-arms while any event is unrouted.
 * Routing is idempotent, so re-queuing an event that was merely slow starts nothing twice.
 */
import { DurableObject } from "cloudflare:workers";
import { claimUnrouted, hasUnrouted } from "../../src/db/events.ts";
import type { Env } from "../../src/env.ts";
import { enqueueEvents } from "../../src/router/queue.ts";

/** An event unrouted this long after it was accepted (or last re-queued) is presumed lost by the queue. */
export const SWEEP_GRACE_MS = 30_000;
/** Events re-queued per alarm; the alarm comes back at once for the rest. */
const SWEEP_LIMIT = 5_000;

export class EventSweeper extends DurableObject<Env> {
  /** Arms the sweep (if not armed) and returns when it will run. */
  async arm(): Promise<number> {
    const armed = await this.ctx.storage.getAlarm();
    if (armed !== null) return armed;
    const at = Date.now() + SWEEP_GRACE_MS;
    await this.ctx.storage.setAlarm(at);
    return at;
  }

  /** Re-queues events that stayed unrouted past the grace period; returns how many. */
  async sweep(): Promise<number> {
    const now = Date.now();
    const ids = await claimUnrouted(this.env.DB, now - SWEEP_GRACE_MS, now, SWEEP_LIMIT);
    if (ids.length > 0) {
      console.warn(`stepwise: re-queuing ${ids.length} event(s) accepted but not routed`);
      await enqueueEvents(this.env.EVENTS, ids);
    }
    return ids.length;
  }

  override async alarm(): Promise<void> {
    const swept = await this.sweep();
    if (swept === SWEEP_LIMIT) await this.ctx.storage.setAlarm(Date.now());
    else if (await hasUnrouted(this.env.DB)) await this.ctx.storage.setAlarm(Date.now() + SWEEP_GRACE_MS);
  }
}

/** The one sweeper. */
export function sweeper(env: Env): DurableObjectStub<EventSweeper> {
  return env.SWEEPER.get(env.SWEEPER.idFromName("events"));
}
