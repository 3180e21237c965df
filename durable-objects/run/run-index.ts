/**
 * Keeps the run's row in the D1 run index current. Written on status changes only, never per
 * step, and coalesced: changes within {@link INDEX_DELAY_MS} become one write, so a short run
 * (queued, running, completed in a few milliseconds) costs one D1 write instead of three.
 * A write that arrives late never overwrites a newer one.
 */
import { runStatus, type RunState, type RunStatus } from "./state.ts";

/** How long a status change may wait to be written together with the next one. */
export const INDEX_DELAY_MS = 50;

const UPSERT = `INSERT INTO runs (id, function_id, status, event_id, event_name, attempt, parent_run_id, error, created_at, ended_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, error = excluded.error,
  ended_at = excluded.ended_at, updated_at = excluded.updated_at
WHERE excluded.updated_at >= runs.updated_at`;

/** Writes the run's row when its status differs from the last one written. */
export class RunIndexWriter {
  private written: RunStatus | undefined;
  private pending: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly db: D1Database,
    private readonly current: () => RunState | undefined,
  ) {}

  /** Notes that the status may have changed; the write follows shortly, off the caller's path. */
  changed(): void {
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      void this.flush();
    }, INDEX_DELAY_MS);
  }

  /** Writes the row now if the status differs from the last one written. */
  async flush(): Promise<void> {
    const state = this.current();
    if (!state) return;
    const status = runStatus(state);
    if (status === this.written) return;
    this.written = status;
    const [event] = state.events;
    const error = state.error ? `${state.error.name}: ${state.error.message}`.slice(0, 1_000) : null;
    try {
      await this.db
        .prepare(UPSERT)
        .bind(state.runId, state.functionId, status, event?.id ?? "", event?.name ?? "", state.attempt, state.parentRunId ?? null, error, state.createdAt, state.endedAt ?? null, state.updatedAt)
        .run();
    } catch (cause) {
      this.written = undefined;
      console.error(`stepwise: run index write for ${state.runId} failed`, cause);
    }
  }
}
