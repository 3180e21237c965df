/**
 * Keeps the run's row in the run index current, through an outbox in the run's own storage:
 * the status the index last acknowledged is stored beside the history, so a row that could not
 * be delivered is known to be owed, and is sent again at the end of every drive and by the
 * alarm until the index takes it. Rows are sent on status changes only, never per step, and
 * coalesced: changes within {@link INDEX_DELAY_MS} become one row (a short run, queued, running
 * and completed in a few milliseconds, sends one). Rows go to the run-index shard of the run's
 * function that its id hashes to (src/core/run-index/write.ts).
 */
import { z } from "zod";
import type { RunIndexRow } from "../../src/core/db/runs.ts";
import type { HistoryEvent } from "./history.ts";
import { RUN_STATUSES, runStatus, type RunState } from "./state.ts";

/** How long a status change may wait to be sent together with the next one. */
const INDEX_DELAY_MS = 50;
/** History events after which the run's status may differ, so the index may need a write. */
const STATUS_EVENTS = new Set<HistoryEvent["type"]>([
  "run.created",
  "run.started",
  "run.completed",
  "run.failed",
  "run.cancelled",
  "step.sleeping",
  "step.woken",
  "step.waiting",
  "run.slot-waiting",
  "run.slot-granted",
  "run.held",
  "run.released",
  "run.admitted",
  "run.skipped",
]);

/**
 * Whether `events` may change the run's status (or its metadata keys, which the index filters
 * by), so that its index row may need a write.
 */
export const changesStatus = (events: HistoryEvent[]): boolean =>
  events.some((event) => STATUS_EVENTS.has(event.type) || (event.type === "step.completed" && event.metadata));

/** How many of a run's metadata keys the index keeps (the first, in sorted order), so a run with thousands of keys costs a bounded write. */
export const MAX_INDEXED_METADATA_KEYS = 32;

/** The run's metadata keys, as the index keeps them. */
const keysOf = (state: RunState): string =>
  Object.keys(state.metadata).sort().slice(0, MAX_INDEXED_METADATA_KEYS).join(",");

/** After a failed delivery, the first retry waits this long; each further one twice as long. */
export const INDEX_RETRY_MS = 2_000;
/** Retries are never further apart than this. */
const INDEX_RETRY_MAX_MS = 5 * 60_000;

/** Where rows go: the run's run-index shard. */
export type RunIndexSink = (row: RunIndexRow) => Promise<void>;

/** What the index last acknowledged for the run: its status, as of the state's `updatedAt`. */
const indexAckSchema = z.object({ status: z.enum(RUN_STATUSES), updatedAt: z.number(), keys: z.string().optional() });
export type IndexAck = z.infer<typeof indexAckSchema>;

/** The outbox's storage: the last acknowledgement, kept with the run's history. */
export interface IndexAckStore {
  read(): IndexAck | undefined;
  write(ack: IndexAck): void;
}

/** An {@link IndexAckStore} in a Durable Object's synchronous key-value storage. */
export function kvAckStore(kv: SyncKvStorage, key = "index-ack"): IndexAckStore {
  return {
    read: () => {
      const stored = kv.get(key);
      if (stored === undefined) return undefined;
      const parsed = indexAckSchema.safeParse(stored);
      // Unreadable is treated as never acknowledged: the row is sent again, which is harmless.
      return parsed.success ? parsed.data : undefined;
    },
    write: (ack) => kv.put(key, ack),
  };
}

/** The index row for a run's current state. */
function indexRow(state: RunState): RunIndexRow {
  const [event] = state.events;
  return {
    id: state.runId,
    functionId: state.functionId,
    status: runStatus(state),
    eventId: event?.id ?? "",
    eventName: event?.name ?? "",
    attempt: state.attempt,
    parentRunId: state.parentRunId ?? null,
    error: state.error ? `${state.error.name}: ${state.error.message}`.slice(0, 1_000) : null,
    createdAt: state.createdAt,
    endedAt: state.endedAt ?? null,
    updatedAt: state.updatedAt,
    tags: state.tags ?? [],
    metadataKeys: Object.keys(state.metadata).sort().slice(0, MAX_INDEXED_METADATA_KEYS),
    // Counted by the shard once, when the run ends (durable-objects/run-index/index-store.ts).
    ...(state.terminal && state.stepDurations ? { stepDurations: state.stepDurations } : {}),
  };
}

/** Sends the run's row when its status differs from the one the index acknowledged. */
export class RunIndexWriter {
  private pending: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;

  /**
   * @param retryAt asks for a call of {@link flush} by `at` (the run's alarm), after a delivery
   *   failed; the object may be gone by then, so it must be durable.
   */
  constructor(
    private readonly send: RunIndexSink,
    private readonly current: () => RunState | undefined,
    private readonly acks: IndexAckStore,
    private readonly retryAt: (at: number) => Promise<void>,
  ) {}

  /** Notes that the status may have changed; the row follows shortly, off the caller's path. */
  changed(): void {
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      void this.flush();
    }, INDEX_DELAY_MS);
  }

  /** Whether the index lacks the run's current status. */
  owed(): boolean {
    const state = this.current();
    const ack = this.acks.read();
    return state !== undefined && (ack?.status !== runStatus(state) || (ack.keys ?? "") !== keysOf(state));
  }

  /**
   * Sends the row if the index lacks the current status. Answers whether the index is current;
   * when it is not, a retry is already asked for.
   */
  async flush(): Promise<boolean> {
    const state = this.current();
    if (!state) return true;
    const status = runStatus(state);
    const keys = keysOf(state);
    const ack = this.acks.read();
    if (status === ack?.status && keys === (ack.keys ?? "")) return true;
    const row = indexRow(state);
    try {
      await this.send(row);
      this.failures = 0;
      // A slower delivery of an older row must not overwrite the acknowledgement of a newer one.
      const latest = this.acks.read();
      if (!latest || latest.updatedAt <= row.updatedAt)
        this.acks.write({ status, updatedAt: row.updatedAt, ...(keys ? { keys } : {}) });
      return true;
    } catch (cause) {
      const delay = Math.min(INDEX_RETRY_MS * 2 ** this.failures, INDEX_RETRY_MAX_MS);
      this.failures++;
      console.error(`stepwise: run index row for ${state.runId} was not delivered; trying again in ${delay} ms`, cause);
      await this.retryAt(Date.now() + delay).catch((error: unknown) =>
        console.error(`stepwise: run ${state.runId} could not arm its index retry`, error),
      );
      return false;
    }
  }
}
