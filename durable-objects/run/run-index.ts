/**
 * Keeps the run's row in the D1 run index current. Written on status changes only, never per
 * step; a write that arrives late never overwrites a newer one.
 */
import type { RunState } from "./state.ts";
import { runStatus, type RunStatus } from "./state.ts";

const UPSERT = `INSERT INTO runs (id, function_id, status, event_id, event_name, attempt, parent_run_id, error, created_at, ended_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, error = excluded.error,
  ended_at = excluded.ended_at, updated_at = excluded.updated_at
WHERE excluded.updated_at >= runs.updated_at`;

/** Writes the run's row when its status differs from the last one written. */
export class RunIndexWriter {
  private written: RunStatus | undefined;

  constructor(private readonly db: D1Database) {}

  /** The write to wait on, or undefined when the status has not changed. */
  update(state: RunState): Promise<unknown> | undefined {
    const status = runStatus(state);
    if (status === this.written) return undefined;
    this.written = status;
    const [event] = state.events;
    const error = state.error ? `${state.error.name}: ${state.error.message}`.slice(0, 1_000) : null;
    return this.db
      .prepare(UPSERT)
      .bind(state.runId, state.functionId, status, event?.id ?? "", event?.name ?? "", state.attempt, state.parentRunId ?? null, error, state.createdAt, state.endedAt ?? null, state.updatedAt)
      .run()
      .catch((cause: unknown) => {
        this.written = undefined;
        console.error(`stepwise: run index write for ${state.runId} failed`, cause);
      });
  }
}
