import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { shardOf, shardSql } from "./event-shards.ts";
import { describe, expect, it } from "vitest";
import { client, sendEvents } from "./helpers.ts";

const MiB = 1024 * 1024;

describe("large step results in R2", () => {
  it("a 20 MiB step result survives eviction and replay; its signed link downloads it; retention deletes it", async () => {
    const runId = await client.invoke("test-large-result", { bytes: 20 * MiB });
    const sleeping = await client.waitUntil(runId, (run) => run.status === "sleeping", { timeoutMs: 30_000 });
    const made = sleeping.steps.find((step) => step.id === "make") as {
      output?: unknown;
      outputBytes?: number;
      outputUrl?: string;
    };
    expect(made.output).toBeUndefined();
    expect(made.outputBytes).toBe(20 * MiB + 2);

    // The history holds a claim, not the value: small enough for SQLite, and the object is in R2.
    const listed = await env.PAYLOADS!.list({ prefix: `runs/${runId}/` });
    expect(listed.objects.map((object) => object.size)).toEqual([20 * MiB + 2]);

    // Evicted: the next drive reads the history again, and the replay reads the value from R2.
    const stub = env.RUN.get(env.RUN.idFromName(runId));
    await runInDurableObject(stub, async (_instance, state) => state.abort("evicted")).catch(() => undefined);
    const done = await client.waitForEnd(runId, { skipTime: true, timeoutMs: 30_000 });
    expect(done.output).toEqual({ length: 20 * MiB, head: "xxx" });

    const download = await SELF.fetch(new URL(made.outputUrl!, "http://stepwise"));
    expect(download.status).toBe(200);
    expect((await download.text()).length).toBe(20 * MiB + 2);
    const forged = made.outputUrl!.replace(/sig=[0-9a-f]{4}/, "sig=0000");
    expect((await SELF.fetch(new URL(forged, "http://stepwise"))).status).toBe(403);

    // A stub of an aborted object stays broken: a fresh one reaches the object again.
    const fresh = env.RUN.get(env.RUN.idFromName(runId));
    const purged = await runInDurableObject(fresh, (instance) =>
      (instance as unknown as { purge(before: number): Promise<{ purged: boolean }> }).purge(Date.now() + 1),
    );
    expect(purged).toEqual({ purged: true });
    expect((await env.PAYLOADS!.list({ prefix: `runs/${runId}/` })).objects).toEqual([]);
  });

  it("a function's 5 MiB result is kept in R2: its run links it, and a parent's invoke step gets it", async () => {
    const runId = await client.invoke("test-large-child-parent", { bytes: 5 * MiB });
    const sleeping = await client.waitUntil(runId, (run) => run.status === "sleeping", { timeoutMs: 30_000 });
    const invoked = sleeping.steps.find((step) => step.id === "child") as { outputBytes?: number; output?: unknown };
    expect(invoked.output).toBeUndefined();
    expect(invoked.outputBytes).toBe(5 * MiB + 2);
    const children = async () =>
      (
        (await (await SELF.fetch("http://stepwise/v1/runs?function=test-large-return")).json()) as {
          runs: { id: string }[];
        }
      ).runs;
    await expect.poll(children).toHaveLength(1);
    const childId = (await children())[0]?.id ?? "";
    const child = (await client.getRun(childId)) as { output?: unknown; outputBytes?: number; outputUrl?: string };
    expect(child.output).toBeUndefined();
    expect(child.outputBytes).toBe(5 * MiB + 2);
    const download = await SELF.fetch(new URL(child.outputUrl!, "http://stepwise"));
    expect((await download.json()) as string).toHaveLength(5 * MiB);
    // The parent keeps its own copy, so the child's retention cannot take it from the parent's replays.
    expect((await env.PAYLOADS!.list({ prefix: `runs/${runId}/` })).objects.map((o) => o.key)).toEqual([
      `runs/${runId}/steps/child`,
    ]);
    expect((await env.PAYLOADS!.list({ prefix: `runs/${childId}/` })).objects.map((o) => o.key)).toEqual([
      `runs/${childId}/result`,
    ]);
    const done = await client.waitForEnd(runId, { skipTime: true, timeoutMs: 30_000 });
    expect(done.output).toEqual({ length: 5 * MiB });
  });

  it("invoke data past the event limit is kept in R2: the function, its singleton key, its wait and its onFailure run read it", async () => {
    const [tenant, other] = [`t-${crypto.randomUUID().slice(0, 8)}`, `u-${crypto.randomUUID().slice(0, 8)}`];
    const dataOf = (who: string, fail: boolean) => ({ tenant: who, blob: "z".repeat(3 * MiB), fail });
    const start = async (who: string, fail: boolean) => {
      const response = await SELF.fetch("http://stepwise/v1/functions/test-large-input/invoke", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: dataOf(who, fail) }),
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { runId: string }).runId;
    };
    // Two tenants, so two singletons: a key not read from R2 would be the same for both.
    const [ok, failing] = [await start(tenant, false), await start(other, true)];
    for (const [runId, who, fail] of [
      [ok, tenant, false],
      [failing, other, true],
    ] as const) {
      const waiting = await client.waitUntil(runId, (run) => run.status === "waiting", { timeoutMs: 30_000 });
      const [event] = waiting.events as { data: unknown; claim?: unknown }[];
      expect(event?.data).toEqual({});
      expect(event?.claim).toEqual({ key: `runs/${runId}/events/0`, bytes: JSON.stringify(dataOf(who, fail)).length });
      const link = (waiting as { eventDataUrls?: string[] }).eventDataUrls?.[0] ?? "";
      const download = (await (await SELF.fetch(new URL(link, "http://stepwise"))).json()) as { tenant: string };
      expect(download.tenant).toBe(who);
    }
    // A second run of the first tenant while its singleton waits is skipped.
    expect((await client.waitForEnd(await start(tenant, false), { timeoutMs: 30_000 })).status).toBe("skipped");

    // Each wait's condition reads its tenant from the data kept in R2.
    for (const who of [tenant, other])
      await SELF.fetch("http://stepwise/v1/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "test/large-input.go", data: { tenant: who, note: "go" } }),
      });
    const done = await client.waitForEnd(ok, { timeoutMs: 30_000 });
    expect(done.output).toEqual({ length: 3 * MiB, tenant, go: { tenant, note: "go" } });
    expect((await client.waitForEnd(failing, { timeoutMs: 30_000 })).status).toBe("failed");
    // The onFailure run starts as the failed run's drive ends: it may not be there yet.
    await expect
      .poll(async () => (await SELF.fetch(`http://stepwise/v1/runs/${failing}.failure`)).status, { timeout: 10_000 })
      .toBe(200);
    const handled = await client.waitForEnd(`${failing}.failure`, { timeoutMs: 30_000 });
    expect(handled.output).toEqual({ length: 3 * MiB });
    // The onFailure run keeps its own copy, under its own prefix.
    const copies = await env.PAYLOADS!.list({ prefix: `runs/${failing}.failure/` });
    expect(copies.objects.map((object) => object.key)).toEqual([`runs/${failing}.failure/events/0`]);
  }, 60_000);

  it("an event past the event limit is kept in R2: its trigger condition, a keyed wait and the run read it", async () => {
    const key = crypto.randomUUID();
    const post = async (body: unknown) => (await sendEvents(body))[0] ?? "";
    const eventId = await post({ name: "test/large-event", data: { kind: "big", key, blob: "b".repeat(2 * MiB) } });
    const detail = (await (await SELF.fetch(`http://stepwise/v1/events/${eventId}`)).json()) as {
      event: { data: unknown; claim?: { key: string; bytes: number }; dataUrl?: string };
    };
    expect(detail.event.data).toEqual({});
    expect(detail.event.claim?.key).toBe(`events/${eventId}`);
    const download = (await (await SELF.fetch(new URL(detail.event.dataUrl!, "http://stepwise"))).json()) as {
      key: string;
    };
    expect(download.key).toBe(key);
    const page = await (await SELF.fetch(`http://stepwise/dashboard/events/${eventId}`)).text();
    expect(page).toContain("The data, 2 MiB of JSON, is kept in R2");

    const [runId = ""] = await client.runsOf(eventId);
    const waiting = await client.waitUntil(runId, (run) => run.status === "waiting", { timeoutMs: 30_000 });
    expect((waiting.events as { claim?: { key: string } }[])[0]?.claim?.key).toBe(`runs/${runId}/events/0`);

    const moreId = await post({ name: "test/large-event.more", data: { key, blob: "m".repeat(3 * MiB) } });
    const done = await client.waitForEnd(runId, { timeoutMs: 30_000 });
    expect(done.output).toEqual({ length: 2 * MiB, more: 3 * MiB, key });
    // The run keeps its own copies: the event's retention cannot take them from its replays.
    const kept = (await env.PAYLOADS!.list({ prefix: `runs/${runId}/` })).objects.map((object) => object.key).sort();
    expect(kept).toEqual([`runs/${runId}/events/0`, `runs/${runId}/waits/${moreId}`]);

    // Retention prunes the event from its shard, and its data from R2 with it.
    await shardSql(eventId, "UPDATE events SET received_at = ?1 WHERE id = ?2", Date.now() - 40 * 86_400_000, eventId);
    await runInDurableObject(shardOf(eventId), async (_instance, state) => {
      state.storage.kv.delete("prunedAt");
      await state.storage.setAlarm(Date.now());
    });
    // The alarm may already be running by itself: wait for its work rather than run it again.
    await runDurableObjectAlarm(shardOf(eventId));
    await expect.poll(() => env.PAYLOADS!.head(`events/${eventId}`)).toBeNull();
    expect(await shardSql(eventId, "SELECT id FROM events WHERE id = ?1", eventId)).toEqual([]);
    expect(await env.PAYLOADS!.head(`events/${moreId}`)).not.toBeNull();
  }, 60_000);
});
