import { describe, expect, it } from "vitest";
import { pool } from "./pool.ts";

describe("pool", () => {
  it("never runs more than its limit at once, and runs every task in the order given", async () => {
    const limited = pool(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limited(async () => {
          started.push(i);
          most = Math.max(most, ++running);
          await new Promise((resolve) => setTimeout(resolve, 1 + (i % 3)));
          running--;
          return i * 2;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });

  it("a failing task frees its slot and fails only its own caller", async () => {
    const limited = pool(1);
    const failed = limited(() => Promise.reject(new Error("boom")));
    const next = limited(async () => "ran");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ran");
  });
});
