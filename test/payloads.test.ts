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
});
