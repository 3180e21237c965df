/**
 * EventCollector: one Durable Object per (function, mechanism, key value) that holds events back
 * instead of starting a run for each. Debounce starts one run with the last event (the newest by
 * its time) once `period` passes without a new one (or `timeout` after the first); batching starts
 * one run with all the events, in time order, once `maxSize` are in or `timeout` after the first. Adding an event twice is harmless,
 * and the run id is derived from the events, so a retried start starts nothing twice. A collector
 * with nothing held deletes its storage.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { runEventSchema, type RunEvent } from "../../sdk/protocol.ts";
import type { Env } from "../../src/core/env.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { derivedId } from "../../src/core/lib/ids.ts";
import { startRun } from "../../src/core/runs/start.ts";
import { collectorSpecSchema, type CollectorSpec } from "../../src/core/events/collector-spec.ts";

/** Prefix of the records of runs being started, one per run: `flushing:<runId>`. */
const FLUSHING = "flushing:";

const pendingSchema = z.object({ spec: collectorSpecSchema, events: z.array(runEventSchema), firstAt: z.number() });
type Pending = z.infer<typeof pendingSchema>;

export class EventCollector extends DurableObject<Env> {
  private async pending(): Promise<Pending | undefined> {
    const stored = await this.ctx.storage.get("pending");
    return stored === undefined ? undefined : pendingSchema.parse(stored);
  }

  /** Holds an event; starts the run at once when a batch is full. */
  async add(specInput: CollectorSpec, eventInput: RunEvent): Promise<void> {
    const spec = parseInput(collectorSpecSchema, specInput, "collector spec");
    const event = parseInput(runEventSchema, eventInput, "event");
    const now = Date.now();
    const current = (await this.pending()) ?? { spec, events: [], firstAt: now };
    current.spec = spec;
    if (!current.events.some((held) => held.id === event.id)) {
      // Events routed apart (separate requests) may arrive out of order: a debounce keeps the
      // newest by time (the later arrival on a tie), a batch holds them in time order.
      const [held] = current.events;
      current.events =
        current.spec.kind === "debounce"
          ? held && held.ts > event.ts
            ? [held]
            : [event]
          : [...current.events, event].sort((a, b) => a.ts - b.ts);
    }
    if (current.spec.kind === "batch" && current.events.length >= current.spec.maxSize) return this.flush(current);
    await this.ctx.storage.put("pending", current);
    const { spec: s } = current;
    const due =
      s.kind === "debounce"
        ? Math.min(now + s.periodMs, s.timeoutMs === undefined ? Infinity : current.firstAt + s.timeoutMs)
        : current.firstAt + s.timeoutMs;
    await this.ctx.storage.setAlarm(due);
  }

  override async alarm(): Promise<void> {
    const stranded = await this.ctx.storage.list({ prefix: FLUSHING });
    let failed: unknown;
    for (const [key, held] of stranded)
      await this.start(key, pendingSchema.parse(held)).catch((error: unknown) => (failed ??= error));
    const current = await this.pending();
    if (current && current.events.length > 0) await this.flush(current);
    if (failed !== undefined) throw failed;
  }

  /**
   * Starts the run with what is held. The held events move to a "flushing" record of their own
   * (named by the run they start) before the start is awaited, so events added meanwhile begin a
   * new series, a flush that overlaps another never touches its record, and a failed start is
   * retried by the alarm rather than lost.
   */
  private async flush(current: Pending): Promise<void> {
    const runId = await derivedId(
      current.firstAt,
      current.spec.functionId,
      current.spec.kind,
      ...current.events.map((event) => event.id),
    );
    const key = `${FLUSHING}${runId}`;
    await this.ctx.storage.put(key, current);
    await this.ctx.storage.delete("pending");
    // The alarm was the held series' timer; it stays while an earlier start still waits for a retry.
    if ((await this.ctx.storage.list({ prefix: FLUSHING, limit: 2 })).size === 1) await this.ctx.storage.deleteAlarm();
    await this.start(key, current);
  }

  private async start(key: string, held: Pending): Promise<void> {
    try {
      const runId = key.slice(FLUSHING.length);
      await startRun(this.env, { runId, functionId: held.spec.functionId, events: held.events });
      await this.ctx.storage.delete(key);
      // Nothing held and no start to retry: the collector keeps no storage until its next event.
      // Checked and deleted without an await between, so an event added meanwhile is not lost.
      if (
        this.ctx.storage.kv.get("pending") === undefined &&
        [...this.ctx.storage.kv.list({ prefix: FLUSHING, limit: 1 })].length === 0
      ) {
        await this.ctx.storage.deleteAll();
      }
    } catch (error) {
      await this.ctx.storage.setAlarm(Date.now() + 1_000);
      throw error;
    }
  }
}
