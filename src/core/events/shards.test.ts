import { describe, expect, it } from "vitest";
import { eventShardCount, idInShard, MAX_EVENT_SHARDS, shardOfId } from "./shards.ts";

describe("event shards", () => {
  it("a generated id lives in the shard asked for, for every count up to the most", () => {
    for (const count of [1, 2, 16, 97, MAX_EVENT_SHARDS])
      for (let shard = 0; shard < count; shard += Math.ceil(count / 8)) {
        const id = idInShard(shard, count);
        expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
        expect(shardOfId(id, count)).toBe(shard);
      }
  });

  it("generated ids stay unique and time-ordered by their first 10 characters", () => {
    const ids = Array.from({ length: 2_000 }, () => idInShard(3, 16));
    expect(new Set(ids).size).toBe(ids.length);
    const times = ids.map((id) => id.slice(0, 10));
    expect([...times].sort()).toEqual(times);
  });

  it("client ids spread over the shards", () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOfId(`order-${i}`, 16)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(700);
    expect(Math.max(...counts)).toBeLessThan(1_300);
  });

  it("the count is 16 unless set, and a bad setting is refused with what is allowed", () => {
    expect(eventShardCount({})).toBe(16);
    expect(eventShardCount({ STEPWISE_EVENT_SHARDS: "64" })).toBe(64);
    for (const bad of ["0", "257", "1.5", "many"])
      expect(() => eventShardCount({ STEPWISE_EVENT_SHARDS: bad })).toThrow(/whole number from 1 to 256/);
  });
});
