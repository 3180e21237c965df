import { describe, expect, it } from "vitest";
import type { EventsMessage } from "./schema.ts";
import { eventQueues, MAX_EVENT_QUEUES, queueOfShard } from "./queues.ts";

/**
 * A stand-in producer binding: only its identity matters here, which queue is picked. The real
 * queues (two of them, EVENTS and EVENTS_1) carry every event of the workers suite.
 */
const producer = () => ({ send: async () => {}, sendBatch: async () => {} }) as unknown as Queue<EventsMessage>;

describe("eventQueues", () => {
  it("is EVENTS alone, or EVENTS then EVENTS_1, EVENTS_2 … in number order; shard n takes queue n mod count", () => {
    const one = { EVENTS: producer() };
    expect(eventQueues(one)).toEqual([one.EVENTS]);
    expect(queueOfShard(one, 7)).toBe(one.EVENTS);
    const three = { EVENTS_2: producer(), EVENTS: producer(), EVENTS_1: producer(), STEPWISE_ENV: "x" };
    expect(eventQueues(three)).toEqual([three.EVENTS, three.EVENTS_1, three.EVENTS_2]);
    expect([0, 1, 2, 3, 4, 5].map((shard) => eventQueues(three).indexOf(queueOfShard(three, shard)))).toEqual([
      0, 1, 2, 0, 1, 2,
    ]);
  });

  it("refuses a gap in the numbers, a binding that is not a queue, and more than the most queues, naming the binding", () => {
    expect(() => eventQueues({ EVENTS: producer(), EVENTS_2: producer() })).toThrow(
      "EVENTS_2 is bound but EVENTS_1 is not",
    );
    expect(() => eventQueues({ EVENTS: producer(), EVENTS_1: "stepwise-events-1" })).toThrow(
      "EVENTS_1 must be a queue producer binding",
    );
    const many: Record<string, unknown> = { EVENTS: producer() };
    for (let n = 1; n <= MAX_EVENT_QUEUES; n++) many[`EVENTS_${n}`] = producer();
    expect(() => eventQueues(many as { EVENTS: Queue<EventsMessage> })).toThrow(
      `at most ${MAX_EVENT_QUEUES} events queues`,
    );
  });
});
