/**
 * Objects of one isolate share the catalogue's data, never its I/O: a read of D1 started by one
 * Durable Object belongs to that object, so an object reset mid-read must not hold up the others
 * (issue 19: runs of a concurrency-limited function failing in acquireSlots with "Cannot perform
 * I/O on behalf of a different Durable Object" under load, when objects are evicted and reset).
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { forgetRemoteFunctions, getFunction } from "../src/core/functions/catalog.ts";
import { client, runFor, sendEvents } from "./helpers.ts";

const api = (path: string, body?: unknown) =>
  SELF.fetch(
    `http://stepwise${path}`,
    body === undefined
      ? {}
      : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
  );

/** An object starts reading the remote functions and is reset before D1 answers (an eviction under load does the same). */
async function resetMidRead(): Promise<void> {
  forgetRemoteFunctions();
  const reader = env.RUN.get(env.RUN.idFromName(`catalog-reader-${crypto.randomUUID()}`));
  const outcome = await runInDurableObject(reader, async (_instance, state) => {
    void getFunction(env, "remote-limited").catch(() => undefined);
    state.abort("reset while reading the catalogue");
  }).then(
    () => "not reset",
    (error: unknown) => String(error),
  );
  expect(outcome).toContain("reset while reading the catalogue");
}

/** Settles with the promise's value, or "still waiting" after `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | "still waiting"> =>
  Promise.race([promise, new Promise<"still waiting">((resolve) => setTimeout(() => resolve("still waiting"), ms))]);

beforeAll(async () => {
  expect((await api("/v1/apps", { binding: "REMOTE_APP", path: "/api/stepwise" })).status).toBe(201);
});

describe("the function catalogue across Durable Objects", () => {
  it("another object's lookup does not wait on the read of an object that was reset", async () => {
    await resetMidRead();
    const other = env.RUN.get(env.RUN.idFromName(`catalog-other-${crypto.randomUUID()}`));
    const found = await runInDurableObject(other, async (_instance, state) => {
      const fn = await within(getFunction(env, "remote-limited"), 5_000);
      // The object goes on with I/O of its own afterwards: its storage and a stub it makes.
      await state.storage.put("after", true);
      const limiter = env.LIMITS.get(env.LIMITS.idFromName(`catalog-limiter-${crypto.randomUUID()}`));
      return { fn: fn === "still waiting" ? fn : fn?.config.concurrency, limiter: await limiter.describe() };
    });
    expect(found).toEqual({ fn: [{ limit: 2, scope: "fn" }], limiter: { limit: 1, holding: 0, waiting: 0 } });
  });

  it(
    "runs of a concurrency-limited remote function all complete, no attempt failing on another object's I/O",
    { timeout: 60_000 },
    async () => {
      await resetMidRead();
      const batch = crypto.randomUUID();
      const eventIds = await sendEvents(
        Array.from({ length: 8 }, (_, i) => ({ name: "remote/limited", data: { key: `${batch}-${i}` } })),
      );
      const runIds = await Promise.all(eventIds.map((id) => runFor(id, "remote-limited")));
      const runs = await Promise.all(runIds.map((id) => client.waitForEnd(id, { timeoutMs: 45_000 })));
      expect(runs.map((run) => run.status)).toEqual(runIds.map(() => "completed"));
      expect(runs.map((run) => run.output).sort()).toEqual(eventIds.map((_, i) => `${batch}-${i}:1:2`).sort());
      const histories = await Promise.all(runIds.map(async (id) => (await api(`/v1/runs/${id}/history`)).text()));
      expect(histories.filter((history) => history.includes("Cannot perform I/O"))).toEqual([]);
    },
  );
});
