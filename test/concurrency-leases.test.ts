import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { maxOverlap } from "./overlap.ts";
import { spans } from "./event-functions.ts";

/** A limiter by its name parts (src/core/objects.ts names them). */
const limiterNamed = (...name: (string | number)[]) => env.LIMITS.get(env.LIMITS.idFromName(JSON.stringify(name)));

/** Moves a shard's last use back past its linger (rather than waiting), so its alarm gives spare slots back. */
const ageShard = (shard: ReturnType<typeof limiterNamed>) =>
  runInDurableObject(shard, async (_instance, state) => {
    const kept = state.storage.kv.get<{ lastUse: number }>("shard");
    if (kept) state.storage.kv.put("shard", { ...kept, lastUse: 0 });
  });

describe("a concurrency limit split over shards", () => {
  it(
    "60 events under a limit of 16 on two shards: never more than 16 steps at once, both shards used, all slots back after",
    { timeout: 60_000 },
    async () => {
      const batch = crypto.randomUUID();
      const response = await SELF.fetch("http://stepwise/v1/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          Array.from({ length: 60 }, (_, i) => ({ name: "test/wide-limited", data: { key: `${batch}-${i}` } })),
        ),
      });
      expect(response.status).toBe(202);
      const mine = () => spans.filter((span) => span.fn === "wide-limited" && span.key.startsWith(batch));
      await expect.poll(() => mine().length, { timeout: 55_000, interval: 100 }).toBe(60);
      const overlap = maxOverlap(mine());
      expect(overlap).toBeLessThanOrEqual(16);
      // More than one shard's opening block (4) and more than either shard's even part (8): slots moved.
      expect(overlap).toBeGreaterThan(8);
      const parent = limiterNamed("wide-limited", 0, "");
      const lent = await parent.describe();
      expect(lent.shards?.map((shard) => shard.child)).toEqual([0, 1]);
      // Each shard gives its spare slots back once unused (its alarm, the linger moved past here).
      for (const index of [0, 1]) {
        const shard = limiterNamed("wide-limited", 0, "", index);
        await expect.poll(async () => (await shard.describe()).holding, { timeout: 10_000 }).toBe(0);
        await ageShard(shard);
        await runDurableObjectAlarm(shard);
        expect(await shard.describe()).toMatchObject({ limit: 0, holding: 0, waiting: 0 });
      }
      expect((await parent.describe()).shards?.map((shard) => shard.leased)).toEqual([0, 0]);
    },
  );
});

describe("shards leasing from one limit", () => {
  const ask = (shard: ReturnType<typeof limiterNamed>, of: { name: string; index: number }, runId: string) =>
    shard.acquire({
      runId,
      stepIds: ["~lane-0"],
      key: "",
      limit: 16,
      shard: { index: of.index, of: 2, parent: { scope: "fn", functionId: of.name, index: 0 }, keyValue: "" },
    });

  it("a busy shard gives slots back to a newly busy one until each has its fair part, never lending more than the limit", async () => {
    const name = `lease-${crypto.randomUUID()}`;
    const parent = limiterNamed(name, 0, "");
    const [first, second] = [0, 1].map((index) => limiterNamed(name, 0, "", index)) as [
      ReturnType<typeof limiterNamed>,
      ReturnType<typeof limiterNamed>,
    ];
    const lentInAll = async () => ((await parent.describe()).shards ?? []).reduce((sum, s) => sum + s.leased, 0);
    // The first shard alone takes all 16 (in blocks, as its runs ask) and queues 4 more.
    for (let i = 0; i < 20; i++) await ask(first, { name, index: 0 }, `a${i}`);
    expect(await first.describe()).toMatchObject({ limit: 16, holding: 16, waiting: 4 });
    expect(await lentInAll()).toBe(16);
    // The second shard's run waits: nothing is free, and the first is asked down to its part (8).
    expect(await ask(second, { name, index: 1 }, "b0")).toEqual([]);
    for (let i = 1; i < 6; i++) await ask(second, { name, index: 1 }, `b${i}`);
    await runDurableObjectAlarm(parent);
    // What the first releases goes back (not to its own queue) while it is above its part; the second gets it.
    for (let i = 0; i < 8; i++) {
      await first.releaseRun(`a${i}`);
      await runDurableObjectAlarm(parent);
      await runDurableObjectAlarm(parent);
      const [one, two] = [await first.describe(), await second.describe()];
      expect(one.holding + two.holding).toBeLessThanOrEqual(16);
      expect(one.holding).toBeLessThanOrEqual(one.limit);
      expect(await lentInAll()).toBeLessThanOrEqual(16);
    }
    // The second's six runs all hold a slot; the first kept no more than its part plus what it held.
    expect(await second.describe()).toMatchObject({ holding: 6, waiting: 0 });
    const one = await first.describe();
    expect(one.holding).toBe(one.limit);
    expect(one.holding + one.waiting).toBe(12);
    expect(one.limit).toBeLessThanOrEqual(10);
    // A release in a shard at or below its part goes to its own queue.
    await first.releaseRun("a8");
    expect(await first.describe()).toMatchObject({ limit: one.limit, holding: one.limit, waiting: one.waiting - 1 });
    expect(await lentInAll()).toBeLessThanOrEqual(16);
  });

  it("a shard whose ask is pending asks again when the limit is raised", async () => {
    const name = `raise-${crypto.randomUUID()}`;
    const first = limiterNamed(name, 0, "", 0);
    for (let i = 0; i < 18; i++) await ask(first, { name, index: 0 }, `r${i}`);
    expect(await first.describe()).toMatchObject({ limit: 16, holding: 16, waiting: 2 });
    const shard = { index: 0, of: 2, parent: { scope: "fn" as const, functionId: name, index: 0 }, keyValue: "" };
    const late = await first.acquire({ runId: "late", stepIds: ["~lane-0"], key: "", limit: 24, shard });
    expect(late).toEqual(["~lane-0"]);
    expect(await first.describe()).toMatchObject({ holding: 19, waiting: 0 });
  });

  it("a report older than the one recorded changes nothing, so a lost answer never lends a slot twice", async () => {
    const name = `seq-${crypto.randomUUID()}`;
    const parent = limiterNamed(name, 0, "");
    const report = {
      child: 0,
      want: 0,
      limit: 16,
      parent: { scope: "fn" as const, functionId: name, index: 0 },
      keyValue: "",
    };
    expect(await parent.lease({ ...report, holds: 0, seq: 1, want: 10 })).toEqual({ granted: 10, quota: null });
    expect(await parent.lease({ ...report, holds: 4, seq: 3 })).toEqual({ granted: 0, quota: null });
    // A late report (seq 2) saying it held 10 is ignored: the record stays 4.
    await parent.lease({ ...report, holds: 10, seq: 2 });
    expect((await parent.describe()).shards).toEqual([{ child: 0, leased: 4, wanting: 0 }]);
    // Another shard asking 16 while the first holds 4: the max-min share leaves the first its 4
    // and lends the other the remaining 12.
    expect(await parent.lease({ ...report, child: 1, holds: 0, seq: 1, want: 16 })).toEqual({ granted: 12, quota: 12 });
    // Now the first wants 5 more: both want more than is left, and each one's part is 8.
    expect(await parent.lease({ ...report, holds: 4, seq: 4, want: 5 })).toEqual({ granted: 0, quota: 8 });
    expect((await parent.describe()).shards).toEqual([
      { child: 0, leased: 4, wanting: 5 },
      { child: 1, leased: 12, wanting: 4 },
    ]);
    // The second, above its part, is lent nothing more.
    expect(await parent.lease({ ...report, child: 1, holds: 12, seq: 2, want: 8 })).toEqual({ granted: 0, quota: 8 });
  });

  it("refuses a lease report that does not parse, naming the field", async () => {
    const parent = limiterNamed(`bad-${crypto.randomUUID()}`, 0, "");
    const refused = await parent
      .lease({ child: -1, holds: 0, seq: 1, want: 1, limit: 16, parent: { scope: "env", key: "" }, keyValue: "" })
      .then(
        () => "taken",
        (error: unknown) => String(error),
      );
    expect(refused).toMatch(/Invalid lease.*child/s);
  });
});
