import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { started } from "./event-functions.ts";

const send = async (body: unknown): Promise<string[]> => {
  const response = await SELF.fetch("http://stepwise/v1/events", { method: "POST", body: JSON.stringify(body) });
  return ((await response.json()) as { ids: string[] }).ids;
};
const runsOf = async (functionId: string, eventIds: string[]) =>
  (
    await env.DB.prepare(`SELECT id, status, error FROM runs WHERE function_id = ? AND event_id IN (SELECT value FROM json_each(?))`)
      .bind(functionId, JSON.stringify(eventIds))
      .all<{ id: string; status: string; error: string | null }>()
  ).results;
const startsOf = (fn: string, key: string) => started.filter((s) => s.fn === fn && s.key === key);

describe("throttle", () => {
  it("10 per second: 30 events all run, none sooner than the limit allows", { timeout: 30_000 }, async () => {
    const batch = crypto.randomUUID();
    const sentAt = Date.now();
    await send(Array.from({ length: 30 }, (_, i) => ({ name: "test/throttled", data: { batch, key: String(i) } })));
    await expect.poll(() => startsOf("throttled", batch).length, { timeout: 20_000, interval: 100 }).toBe(30);
    const last = Math.max(...startsOf("throttled", batch).map((s) => s.at));
    // 30 runs at 10 a second with no burst: the last cannot start before 2.9 s.
    expect(last - sentAt).toBeGreaterThanOrEqual(2_800);
  });
});

describe("rate limit", () => {
  it("runs over the limit are skipped and recorded as skipped", async () => {
    const batch = crypto.randomUUID();
    const ids = await send(Array.from({ length: 5 }, () => ({ name: "test/rate-limited", data: { batch } })));
    await expect.poll(async () => (await runsOf("rate-limited", ids)).length).toBe(5);
    await expect.poll(async () => (await runsOf("rate-limited", ids)).map((r) => r.status).sort()).toEqual(["completed", "completed", "completed", "skipped", "skipped"]);
    expect(startsOf("rate-limited", batch)).toHaveLength(3);
    const skipped = (await runsOf("rate-limited", ids)).find((r) => r.status === "skipped");
    expect(skipped?.error).toContain("rate limited");
  });
});

describe("singleton", () => {
  it("skip: a second run for the same key is skipped while the first runs; cancel: the first is cancelled", async () => {
    const user = crypto.randomUUID();
    const [first] = await send({ name: "test/singleton", data: { user } });
    await expect.poll(() => startsOf("singleton-skip", user).length + startsOf("singleton-cancel", user).length).toBe(2);
    const [second] = await send({ name: "test/singleton", data: { user } });
    await expect.poll(async () => (await runsOf("singleton-skip", [second!]))[0]?.status).toBe("skipped");
    await expect.poll(async () => (await runsOf("singleton-cancel", [first!]))[0]?.status).toBe("cancelled");
    await expect.poll(() => startsOf("singleton-cancel", user).length).toBe(2);
    expect(startsOf("singleton-skip", user)).toHaveLength(1);
  });
});
