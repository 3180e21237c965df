import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../../sdk/protocol.ts";
import {
  keyedDeliveries,
  keyedListenerOfName,
  keyedTargetName,
  reachesSlot,
  WAIT_SLOTS,
  waitTarget,
} from "./wait-targets.ts";

const runEvent = (orderId: string): RunEvent => ({
  id: `o-${orderId}`,
  name: "order/created",
  data: { orderId },
  ts: 0,
});
const payment = (orderId: string, id = `p-${orderId}`): RunEvent => ({
  id,
  name: "payment/received",
  data: { orderId },
  ts: 1,
});
const MATCH = "event.data.orderId == async.data.orderId";

describe("waitTarget", () => {
  it("puts a keyed wait in the shard of its value, and an unkeyed one in the name's home", () => {
    const target = waitTarget("payment/received", MATCH, runEvent("a"));
    expect(target.keyed).toMatchObject({ event: "payment/received", path: '["data","orderId"]' });
    expect(target.name).toBe(keyedTargetName(target.keyed!));
    expect(target.name.startsWith("\u0000")).toBe(true);
    expect(waitTarget("payment/received", "async.data.amount > 1", runEvent("a"))).toEqual({
      name: "payment/received",
    });
    expect(waitTarget("payment/received", undefined, runEvent("a"))).toEqual({ name: "payment/received" });
  });

  it("spreads the values of one name over the slots", () => {
    const slots = new Set(
      Array.from({ length: 400 }, (_, n) => waitTarget("payment/received", MATCH, runEvent(`order-${n}`)).keyed!.slot),
    );
    expect(slots.size).toBe(WAIT_SLOTS);
  });
});

describe("keyedListenerOfName", () => {
  it("reads a keyed shard back from its name, and nothing from a home's or a malformed name", () => {
    const keyed = waitTarget("payment/received", MATCH, runEvent("a")).keyed!;
    expect(keyedListenerOfName(keyedTargetName(keyed))).toEqual(keyed);
    expect(keyedListenerOfName("payment/received")).toBeUndefined();
    expect(keyedListenerOfName("\u0000not json")).toBeUndefined();
    expect(keyedListenerOfName('\u0000["a","b",-1]')).toBeUndefined();
  });
});

describe("keyedDeliveries", () => {
  it("sends each keyed shard every event its waiters could take, and no other", () => {
    const waits = ["a", "b", "c"].map((id) => waitTarget("payment/received", MATCH, runEvent(id)).keyed!);
    const events = [payment("a"), payment("b"), payment("zzz"), { ...payment("a", "other"), name: "other/name" }];
    const deliveries = keyedDeliveries(events, waits);
    for (const wait of waits) {
      const sent = deliveries.get(keyedTargetName(wait)) ?? [];
      // Whatever else shares its slot, the shard gets the events of its own value.
      for (const event of events.filter((e) => e.name === "payment/received" && reachesSlot(e, wait)))
        expect(sent).toContain(event);
      expect(sent.every((event) => event.name === "payment/received" && reachesSlot(event, wait))).toBe(true);
    }
    expect(deliveries.get(keyedTargetName(waits[0]!))).toContainEqual(payment("a"));
  });
});
