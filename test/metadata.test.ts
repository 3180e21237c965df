import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client } from "./helpers.ts";

describe("run metadata", () => {
  it("increments from parallel steps are not lost; a failed attempt's changes do not count; read over HTTP and RPC", async () => {
    const key = crypto.randomUUID();
    const run = await client.run("test-progress", { key, n: 24 });
    expect(run.status).toBe("completed");
    const metadata = run.metadata as { total: number; done: number; files: number[]; phase?: string };
    expect(metadata.total).toBe(24);
    expect(metadata.done).toBe(24);
    expect([...metadata.files].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(metadata.phase).toBeUndefined();
    expect(run.steps.find((step) => step.id === "file-0")?.attempts).toBe(2);
    const overRpc = await env.CALLER.call("getRun", [run.id]);
    expect(overRpc).toMatchObject({ ok: true, value: { metadata: { done: 24, total: 24 } } });
  });

  it("a change that cannot apply fails its step with InvalidMetadataError, without retries", async () => {
    const run = await client.run("test-bad-metadata", {});
    expect(run.status).toBe("failed");
    const step = run.steps.find((s) => s.id === "count") as {
      error?: { name: string; message: string };
      attempts: number;
    };
    expect(step.error?.name).toBe("InvalidMetadataError");
    expect(step.error?.message).toContain(`"count" is not a number`);
    expect(step.attempts).toBe(1);
    expect(run.metadata).toEqual({ count: "many" });
  });
});
