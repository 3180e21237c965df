/**
 * The run index outbox, on a Durable Object's real SQLite: a row whose delivery fails is kept and
 * retried with backoff until the index takes it; a delivered row is not sent again.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunIndexRow } from "../src/db/runs.ts";
import { IndexOutbox, OUTBOX_RETRY_MS } from "../durable-objects/run/run-index.ts";
import { apply, initialState } from "../durable-objects/run/state.ts";

describe("the run index outbox", () => {
  it("keeps a row the index did not take, retries it with backoff, and sends a delivered one no more", async () => {
    const stub = env.RUN.get(env.RUN.idFromName(`outbox-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const sent: RunIndexRow[] = [];
      const retries: number[] = [];
      let down = true;
      const outbox = new IndexOutbox(
        state.storage.sql,
        async (row) => {
          if (down) throw new Error("index unreachable");
          sent.push(row);
        },
        async (at) => void retries.push(at - Date.now()),
      );
      const event = { id: "e1", name: "outbox/test", data: {}, ts: 0 };
      const run = initialState({ type: "run.created", runId: "01JOUTBOX", functionId: "f", events: [event], seq: 1, at: 1_000 });
      outbox.note(run, true);
      await outbox.deliver();
      await outbox.deliver();
      expect(sent).toEqual([]);
      expect(retries).toHaveLength(2);
      expect(retries[0]).toBeGreaterThan(OUTBOX_RETRY_MS - 100);
      expect(retries[1]).toBeGreaterThan(2 * OUTBOX_RETRY_MS - 100);

      down = false;
      await outbox.deliver();
      expect(sent.map((row) => [row.id, row.status])).toEqual([["01JOUTBOX", "queued"]]);
      await outbox.deliver();
      expect(sent).toHaveLength(1);

      // A status change is stored with the change and delivered; one that changes nothing is not stored.
      apply(run, { type: "run.started", seq: 2, at: 2_000 } as Parameters<typeof apply>[1]);
      outbox.note(run, false);
      await outbox.deliver();
      expect(sent.map((row) => row.status)).toEqual(["queued", "running"]);
      outbox.note(run, false);
      await outbox.deliver();
      expect(sent).toHaveLength(2);
    });
  });
});
