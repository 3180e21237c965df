/**
 * Keeps the run's row in the D1 run index current: written on status changes only, never per
 * step, and delivered coalesced, so changes within {@link INDEX_DELAY_MS} become one delivery (a
 * short run, queued, running and completed in a few milliseconds, sends one). Rows go through a
 * RunIndexBuffer, which writes them to D1 in batches.
 */
import { z } from "zod";
import { runIndexRowSchema, type RunIndexRow } from "../../src/db/runs.ts";
import { runStatus, type RunState } from "./state.ts";

/** How long a status change may wait to be sent together with the next one. */
export const INDEX_DELAY_MS = 50;

/** Where rows go: the RunIndexBuffer shard for the run, in the Worker. */
export type RunIndexSink = (row: RunIndexRow) => Promise<void>;

/** The index row for a run's current state. */
export function indexRow(state: RunState): RunIndexRow {
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
  };
}

/** The first retry of an undelivered row waits this long, each next one twice as long. */
export const OUTBOX_RETRY_MS = 1_000;
/** The longest wait between retries. */
const OUTBOX_MAX_RETRY_MS = 5 * 60_000;

const OUTBOX_SCHEMA = `CREATE TABLE IF NOT EXISTS index_outbox (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  row TEXT NOT NULL,
  delivered_seq INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0
)`;

const outboxSchema = z.object({ seq: z.number().int(), row: z.string(), delivered_seq: z.number().int(), failures: z.number().int() });

/**
 * The run's index row as an outbox (Temporal's visibility queue): the row is stored in the run's
 * own SQLite in the same synchronous block as the history event that changed the status, so
 * the two commit together; it is then delivered off the step path, and again by alarm, with
 * backoff, until the index has taken it. No status change is lost to a failed write.
 */
export class IndexOutbox {
  private pending: ReturnType<typeof setTimeout> | undefined;
  private delivering: Promise<void> | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly send: RunIndexSink,
    /** Arms a retry at `at` unless an earlier alarm is already set (it then retries first). */
    private readonly retryAt: (at: number) => Promise<void>,
  ) {
    this.ensure();
  }

  /** Creates the table if it is not there (again, after the object's storage was deleted). */
  ensure(): void {
    this.sql.exec(OUTBOX_SCHEMA);
    this.stored = undefined;
  }

  /** The status of the row last stored (read from the outbox when the object starts). */
  private stored: string | undefined;

  /**
   * Stores the row for `state` when its status differs from the one stored, or when `force`
   * (an event that changes another field of the row, such as the attempt or the error).
   */
  note(state: RunState, force: boolean): void {
    const status = runStatus(state);
    this.stored ??= this.storedStatus();
    if (force || status !== this.stored) this.write(state);
  }

  private storedStatus(): string | undefined {
    const raw = this.sql.exec("SELECT row FROM index_outbox WHERE id = 1").toArray()[0];
    return raw === undefined ? undefined : runIndexRowSchema.parse(JSON.parse(outboxSchema.pick({ row: true }).parse(raw).row)).status;
  }

  /** Stores the row for `state` (synchronously, with the history), and delivers it shortly. */
  write(state: RunState): void {
    const indexed = indexRow(state);
    this.stored = indexed.status;
    const row = JSON.stringify(indexed);
    this.sql.exec(
      `INSERT INTO index_outbox (id, seq, row) VALUES (1, ?1, ?2)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, row = excluded.row WHERE excluded.seq >= index_outbox.seq`,
      state.lastSeq,
      row,
    );
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      void this.deliver();
    }, INDEX_DELAY_MS);
  }

  /** Delivers the stored row if the index has not taken it yet; a failure arms a retry. */
  deliver(): Promise<void> {
    this.delivering ??= this.deliverOnce().finally(() => (this.delivering = undefined));
    return this.delivering;
  }

  private async deliverOnce(): Promise<void> {
    const raw = this.sql.exec("SELECT seq, row, delivered_seq, failures FROM index_outbox WHERE id = 1").toArray()[0];
    if (raw === undefined) return;
    const outbox = outboxSchema.parse(raw);
    if (outbox.delivered_seq >= outbox.seq) return;
    try {
      await this.send(runIndexRowSchema.parse(JSON.parse(outbox.row)));
      this.sql.exec("UPDATE index_outbox SET delivered_seq = max(delivered_seq, ?1), failures = 0 WHERE id = 1", outbox.seq);
    } catch (cause) {
      this.sql.exec("UPDATE index_outbox SET failures = failures + 1 WHERE id = 1");
      const delay = Math.min(OUTBOX_RETRY_MS * 2 ** outbox.failures, OUTBOX_MAX_RETRY_MS);
      console.error(`stepwise: run index row (seq ${outbox.seq}) not delivered; retrying in ${delay} ms`, cause);
      await this.retryAt(Date.now() + delay);
    }
  }
}
