import { describe, expect, it } from "vitest";
import { SlotLanes } from "./slot-lanes.ts";

/** Limiter ports that grant up to `free` lanes and remember every name asked for. */
function limiter(free: number, maxLanes?: number) {
  const asked: string[][] = [];
  let granted = 0;
  const ports = {
    acquireSlots: async (names: string[]) => {
      asked.push(names);
      const given = names.slice(0, Math.max(0, free - granted));
      granted += given.length;
      return given;
    },
    releaseSlots: async () => undefined,
    ...(maxLanes !== undefined ? { maxLanes } : {}),
  };
  return { asked, lanes: new SlotLanes(ports) };
}

describe("a drive's slot lanes", () => {
  it("asks for no more lanes than the smallest limit, however many steps are due", async () => {
    const { asked, lanes } = limiter(100, 100);
    expect(await lanes.take(10_000)).toBe(100);
    expect(asked.map((names) => names.length)).toEqual([100]);
    // Held lanes are not asked for again.
    expect(await lanes.take(10_000)).toBe(100);
    expect(asked).toHaveLength(1);
    await lanes.release({ waiting: false, ended: false });
  });

  it("asks for what is missing when fewer were granted than wanted", async () => {
    const { asked, lanes } = limiter(2);
    expect(await lanes.take(3)).toBe(2);
    expect(await lanes.take(3)).toBe(2);
    expect(asked).toEqual([["~lane-0", "~lane-1", "~lane-2"], ["~lane-2"]]);
    await lanes.release({ waiting: false, ended: false });
  });
});
