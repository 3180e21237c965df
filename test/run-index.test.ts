import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunIndexRow } from "../src/db/runs.ts";

const row = (id: string, status: string, updatedAt: number): RunIndexRow => ({
  id,
  functionId: "f",
  status,
  eventId: `e-${id}`,
  eventName: "test/event",
  attempt: 0,
  parentRunId: null,
  error: null,
  createdAt: 1,
  endedAt: null,
  updatedAt,
});

describe("RunIndexBuffer", () => {
  it("writes rows to D1 in batches; a late, older row never replaces a newer one", async () => {
    const buffer = env.RUN_INDEX.get(env.RUN_INDEX.idFromName("test-shard"));
    await buffer.put(row("ix-1", "completed", 200));
    await buffer.put(row("ix-1", "running", 100));
    await Promise.all(Array.from({ length: 450 }, (_, i) => buffer.put(row(`ix-many-${i}`, "queued", 10))));
    await buffer.flush();
    const one = await env.DB.prepare("SELECT status FROM runs WHERE id = 'ix-1'").first();
    expect(one).toEqual({ status: "completed" });
    const many = await env.DB.prepare("SELECT COUNT(*) AS n FROM runs WHERE id LIKE 'ix-many-%'").first();
    expect(many).toEqual({ n: 450 });

    await buffer.put(row("ix-1", "running", 150));
    await buffer.flush();
    expect(await env.DB.prepare("SELECT status FROM runs WHERE id = 'ix-1'").first()).toEqual({ status: "completed" });
  });
});
