/**
 * Events routed by the accepting Worker: a small request starts its runs without a queue hop, a
 * larger one and one whose routing fails go on the real events queues, and the queue routes them.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { acceptEvents, DIRECT_ROUTE_MAX_EVENTS } from "../src/core/events/accept.ts";
import type { Env } from "../src/core/env.ts";
import type { EventsMessage } from "../src/core/events/schema.ts";
import { storedEvent } from "./event-shards.ts";
import { executions } from "./functions.ts";

/** The real events queues (EVENTS and EVENTS_1, see vitest.config.ts), noting the ids sent through either. */
function countingQueues(): { queues: Pick<Env, "EVENTS" | "EVENTS_1">; sent: string[] } {
  const sent: string[] = [];
  const counting = (real: Queue<EventsMessage>): Queue<EventsMessage> => ({
    metrics: () => real.metrics(),
    send: (body, options) => {
      sent.push(...body.eventIds);
      return real.send(body, options);
    },
    sendBatch: (messages, options) => {
      for (const message of messages) sent.push(...message.body.eventIds);
      return real.sendBatch(messages, options);
    },
  });
  return { queues: { EVENTS: counting(env.EVENTS), EVENTS_1: counting(env.EVENTS_1!) }, sent };
}

const routedAt = async (id: string) => (await storedEvent(id))?.routedAt ?? null;

describe("routing at accept time", () => {
  it("routes a single event before accepting resolves, and queues nothing", async () => {
    const { queues, sent } = countingQueues();
    const key = crypto.randomUUID();
    const [id] = await acceptEvents({ ...env, ...queues }, [{ name: "test/fanout", data: { key } }]);
    expect(await routedAt(id!)).not.toBeNull();
    expect(sent).toEqual([]);
    await expect.poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`))).toEqual([1, 1, 1]);
  });

  it(`queues a request of more than ${DIRECT_ROUTE_MAX_EVENTS} events, and the queue routes them`, async () => {
    const { queues, sent } = countingQueues();
    const key = crypto.randomUUID();
    const events = Array.from({ length: DIRECT_ROUTE_MAX_EVENTS + 1 }, (_, i) => ({
      name: "test/bulk",
      data: { key: `${key}-${i}` },
    }));
    const ids = await acceptEvents({ ...env, ...queues }, events);
    expect(sent.sort()).toEqual([...ids].sort());
    await expect
      .poll(() => events.filter((event) => executions(`bulk:${event.data.key}`) === 1).length, { timeout: 10_000 })
      .toBe(events.length);
  });

  it("queues an event whose routing fails, and the queue starts its runs once", async () => {
    const { queues, sent } = countingQueues();
    const key = crypto.randomUUID();
    // No run can be started through this env: routing here fails after the event is recorded.
    const unreachable = {
      ...env.RUN,
      get: () => {
        throw new Error("runs unreachable");
      },
    } as unknown as Env["RUN"];
    const [id] = await acceptEvents({ ...env, ...queues, RUN: unreachable }, [{ name: "test/fanout", data: { key } }]);
    expect(sent).toEqual([id]);
    await expect.poll(() => routedAt(id!), { timeout: 10_000 }).not.toBeNull();
    await expect.poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${key}`))).toEqual([1, 1, 1]);
  });
});
