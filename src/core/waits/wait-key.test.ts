import { describe, expect, it } from "vitest";
import { compileExpression, holds } from "../../../sdk/expression.ts";
import type { RunEvent } from "../../../sdk/protocol.ts";
import { eventKey, waitKey } from "./wait-key.ts";

const runEvent: RunEvent = {
  id: "trigger",
  name: "order/created",
  data: { orderId: "o-1", n: 5, vip: true, items: ["a"], nested: { "user-id": "u-9" } },
  ts: 0,
};
const incoming = (data: Record<string, unknown>): RunEvent => ({ id: "e", name: "payment/received", data, ts: 1 });

describe("waitKey", () => {
  it("lifts the equality a match gives, and one among other terms of an if", () => {
    expect(waitKey("event.data.orderId == async.data.orderId", runEvent)).toEqual({
      path: '["data","orderId"]',
      value: '"o-1"',
    });
    expect(waitKey("async.data.amount > 10 && async.data.orderId == event.data.orderId", runEvent)).toEqual({
      path: '["data","orderId"]',
      value: '"o-1"',
    });
    expect(waitKey('async.data.status == "paid" && async.data.amount > 1', runEvent)).toEqual({
      path: '["data","status"]',
      value: '"paid"',
    });
    expect(waitKey('async.data["user-id"] == event.data.nested["user-id"]', runEvent)).toEqual({
      path: '["data","user-id"]',
      value: '"u-9"',
    });
    expect(waitKey("async.data.n == event.data.n", runEvent)?.value).toBe("5");
    expect(waitKey("async.data.n == 5", runEvent)?.value).toBe("5");
    expect(waitKey("async.data.vip == event.data.vip", runEvent)?.value).toBe("true");
  });

  it("lifts nothing where a different value would not prove the condition false", () => {
    for (const condition of [
      undefined,
      "async.data.amount > 10",
      "event.data.orderId == async.data.orderId || async.data.any == true",
      "!(async.data.orderId == event.data.orderId)",
      "async.data.items == event.data.items",
      "async.data.orderId == event.data.missing",
      "async == event",
      "has(async.data.orderId)",
      "not ( valid",
    ])
      expect(waitKey(condition, runEvent), String(condition)).toBeUndefined();
  });

  it("never keeps a waiter from an event its condition holds for", () => {
    const conditions = [
      "event.data.orderId == async.data.orderId",
      "async.data.n == event.data.n && async.data.ok == true",
      "async.data.n == 5",
      'async.data["user-id"] == event.data.nested["user-id"]',
    ];
    const events = [
      { orderId: "o-1", n: 5, ok: true, "user-id": "u-9" },
      { orderId: "o-2", n: 5.0, ok: true },
      { orderId: 1, n: "5", ok: false, "user-id": "u-8" },
      { n: 6 },
    ].map(incoming);
    for (const condition of conditions) {
      const key = waitKey(condition, runEvent)!;
      expect(key, condition).toBeDefined();
      for (const event of events) {
        const held = holds(compileExpression(condition), { event: runEvent, async: event });
        if (held) expect(eventKey(event, key.path), `${condition} on ${JSON.stringify(event.data)}`).toBe(key.value);
      }
    }
  });
});
