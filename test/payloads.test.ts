import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client } from "./helpers.ts";

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
    const handled = await client.waitForEnd(`${failing}.failure`, { timeoutMs: 30_000 });
    expect(handled.output).toEqual({ length: 3 * MiB });
    // The onFailure run keeps its own copy, under its own prefix.
    const copies = await env.PAYLOADS!.list({ prefix: `runs/${failing}.failure/` });
    expect(copies.objects.map((object) => object.key)).toEqual([`runs/${failing}.failure/events/0`]);
  }, 60_000);
});
