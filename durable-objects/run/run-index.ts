/**
 * Keeps the run's row in the D1 run index current: sent on status changes only, never per step,
 * and coalesced, so changes within {@link INDEX_DELAY_MS} become one row (a short run, queued,
 * running and completed in a few milliseconds, sends one). Rows go through a RunIndexBuffer,
 * which writes them to D1 in batches.
 */
import type { RunIndexRow } from "../../src/db/runs.ts";
import { runStatus, type RunState, type RunStatus } from "./state.ts";

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

/** Sends the run's row when its status differs from the last one sent. */
export class RunIndexWriter {
  private sent: RunStatus | undefined;
  private pending: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: RunIndexSink,
    private readonly current: () => RunState | undefined,
  ) {}

  /** Notes that the status may have changed; the row follows shortly, off the caller's path. */
  changed(): void {
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      void this.flush();
    }, INDEX_DELAY_MS);
  }

  /** Sends the row now if the status differs from the last one sent. */
  async flush(): Promise<void> {
    const state = this.current();
    if (!state) return;
    const row = indexRow(state);
    if (row.status === this.sent) return;
    this.sent = row.status as RunStatus;
    try {
      await this.send(row);
    } catch (cause) {
      this.sent = undefined;
      console.error(`stepwise: run index row for ${state.runId} was not sent`, cause);
    }
  }
}
