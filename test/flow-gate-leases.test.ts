import { env, runInDurableObject, SELF } from "cloudflare:test";
import { started } from "./event-functions.ts";
import { client, runFor } from "./helpers.ts";
import { describe, expect, it } from "vitest";

/** A gate by its name parts (src/core/objects.ts names them). */
const gateNamed = (...name: (string | number)[]) => env.GATES.get(env.GATES.idFromName(JSON.stringify(name)));

describe("a rate split over gate shards", () => {
  it("an unkeyed rate limit admits exactly its limit across shards, and the shards then refuse without asking", async () => {
    const fn = `rl-${crypto.randomUUID()}`;
    const rate = { limit: 10, periodMs: 3_600_000, burst: 9 };
    const shard = (index: number) => ({ index, of: 2, functionId: fn, kind: "rateLimit" as const, keyValue: "" });
    const answers = [];
    for (let i = 0; i < 30; i++)
      answers.push(await gateNamed(fn, "rateLimit", "", i % 2).rate(rate, "skip", shard(i % 2)));
    expect(answers.filter((answer) => answer.admitted)).toHaveLength(10);
    // Each refusal says when the next token comes (an hour's tenth from the first, at this rate).
    for (const refused of answers.filter((answer) => !answer.admitted)) expect(refused.at).toBeGreaterThan(Date.now());
    // The shards remember the parent had none: until then they refuse on their own.
    for (const index of [0, 1]) {
      const lease = await runInDurableObject(gateNamed(fn, "rateLimit", "", index), async (_instance, state) =>
        state.storage.kv.get<{ refusedUntil: number }>("lease"),
      );
      expect(lease?.refusedUntil).toBeGreaterThan(Date.now());
    }
  });

  it("a function's unkeyed rate limit of 4 an hour: of 12 events, 4 runs start and 8 are skipped", async () => {
    const batch = crypto.randomUUID();
    const response = await SELF.fetch("http://stepwise/v1/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(Array.from({ length: 12 }, () => ({ name: "test/rate-limited-global", data: { batch } }))),
    });
    const { ids } = (await response.json()) as { ids: string[] };
    const runs = await Promise.all(ids.map((id) => runFor(id, "rate-limited-global")));
    const ended = await Promise.all(runs.map((runId) => client.waitForEnd(runId)));
    expect(ended.filter((run) => run.status === "completed")).toHaveLength(4);
    expect(ended.filter((run) => run.status === "skipped")).toHaveLength(8);
    expect(started.filter((start) => start.fn === "rate-limited-global" && start.key === batch)).toHaveLength(4);
  });

  it("a fast throttle's shards give out moments of the parent's one sequence: none twice, none closer than the rate allows", async () => {
    const fn = `th-${crypto.randomUUID()}`;
    // 400 per second, no burst: one every 2.5 ms; a block is 400 × 0.1 s ÷ 2 shards = 20 moments.
    const rate = { limit: 400, periodMs: 1_000, burst: 0 };
    const shard = (index: number) => ({ index, of: 2, functionId: fn, kind: "throttle" as const, keyValue: "" });
    const ats: number[] = [];
    for (let i = 0; i < 60; i++) {
      const answer = await gateNamed(fn, "throttle", "", i % 2).rate(rate, "wait", shard(i % 2));
      expect(answer.admitted).toBe(true);
      ats.push(answer.at);
    }
    const sorted = [...ats].sort((a, b) => a - b);
    expect(new Set(sorted).size).toBe(60);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(2.5 - 1e-6);
  });

  it("refuses a block that does not parse, naming it", async () => {
    const refused = await gateNamed(`bad-${crypto.randomUUID()}`, "throttle", "")
      .lend({ limit: 10, periodMs: 1_000, burst: 0 }, "wait", 0)
      .then(
        () => "taken",
        (error: unknown) => String(error),
      );
    expect(refused).toMatch(/Invalid block/);
  });
});
