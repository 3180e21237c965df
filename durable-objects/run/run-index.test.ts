/**
 * The run index outbox (RunIndexWriter): a row is owed until the index takes it, a failed
 * delivery asks for a retry with a growing delay, and a late acknowledgement of an older row never
 * hides a newer status. The sink and the store stand in for the RunIndexBuffer and the object's
 * storage; test/run-index-outbox.test.ts runs the same outbox through real objects.
 */
import { describe, expect, it, vi } from "vitest";
import type { RunIndexRow } from "../../src/core/db/runs.ts";
import type { HistoryEntry, HistoryEvent } from "./history.ts";
import { INDEX_RETRY_MS, RunIndexWriter, type IndexAck, type IndexAckStore } from "./run-index.ts";
import { apply, foldHistory, type RunState } from "./state.ts";

function run(): RunState {
  const created: HistoryEntry = {
    type: "run.created",
    runId: "r1",
    functionId: "f",
    events: [{ id: "e", name: "x", data: {}, ts: 0 }],
    seq: 1,
    at: 0,
  };
  const state = foldHistory([created]);
  if (!state) throw new Error("no state");
  return state;
}

function record(state: RunState, event: HistoryEvent, at: number): void {
  apply(state, { ...event, seq: state.lastSeq + 1, at });
}

function memoryStore(): IndexAckStore & { value: IndexAck | undefined } {
  const store = {
    value: undefined as IndexAck | undefined,
    read: () => store.value,
    write: (ack: IndexAck) => void (store.value = ack),
  };
  return store;
}

describe("RunIndexWriter", () => {
  it("sends a status once, and nothing while the index already has it", async () => {
    const state = run();
    const sent: RunIndexRow[] = [];
    const writer = new RunIndexWriter(
      async (row) => void sent.push(row),
      () => state,
      memoryStore(),
      async () => undefined,
    );
    expect(writer.owed()).toBe(true);
    expect(await writer.flush()).toBe(true);
    expect(await writer.flush()).toBe(true);
    expect(sent.map((row) => row.status)).toEqual(["queued"]);
    record(state, { type: "run.started" }, 10);
    expect(writer.owed()).toBe(true);
    await writer.flush();
    expect(sent.map((row) => row.status)).toEqual(["queued", "running"]);
    expect(writer.owed()).toBe(false);
  });

  it("keeps a row owed after a failed delivery and asks for retries further and further apart", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const state = run();
      const store = memoryStore();
      const retries: number[] = [];
      let failing = 3;
      const send = async (): Promise<void> => {
        if (failing-- > 0) throw new Error("index buffer unreachable");
      };
      const writer = new RunIndexWriter(
        send,
        () => state,
        store,
        async (at) => void retries.push(at - Date.now()),
      );
      vi.spyOn(console, "error").mockImplementation(() => undefined);
      for (let i = 0; i < 3; i++) expect(await writer.flush()).toBe(false);
      expect(retries).toEqual([INDEX_RETRY_MS, INDEX_RETRY_MS * 2, INDEX_RETRY_MS * 4]);
      expect(store.value).toBeUndefined();
      expect(writer.owed()).toBe(true);
      expect(await writer.flush()).toBe(true);
      expect(store.value?.status).toBe("queued");
      expect(writer.owed()).toBe(false);
    } finally {
      vi.useRealTimers();
      vi.restoreAllMocks();
    }
  });

  it("does not let a slow delivery of an older row overwrite the acknowledgement of a newer one", async () => {
    const state = run();
    const store = memoryStore();
    let releaseFirst: () => void = () => undefined;
    let calls = 0;
    const send = (): Promise<void> =>
      ++calls === 1 ? new Promise<void>((resolve) => (releaseFirst = resolve)) : Promise.resolve();
    const writer = new RunIndexWriter(
      send,
      () => state,
      store,
      async () => undefined,
    );
    const slow = writer.flush();
    record(state, { type: "run.started" }, 10);
    record(state, { type: "run.completed", output: 1 }, 20);
    await writer.flush();
    expect(store.value?.status).toBe("completed");
    releaseFirst();
    await slow;
    expect(store.value?.status).toBe("completed");
    expect(writer.owed()).toBe(false);
  });
});
