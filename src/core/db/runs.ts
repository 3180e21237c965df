/**
 * The run index in D1: the row each run keeps there, and the statement that writes it. A row
 * that arrives late never overwrites a newer one.
 */
import { stepDurationsSchema } from "../run-index/step-durations.ts";
import { z } from "zod";

export const runIndexRowSchema = z.object({
  id: z.string(),
  functionId: z.string(),
  status: z.string(),
  eventId: z.string(),
  eventName: z.string(),
  attempt: z.number().int(),
  parentRunId: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.number().int(),
  endedAt: z.number().int().nullable(),
  updatedAt: z.number().int(),
  /** The run's tags and the keys of its metadata, for filters (run-index shards only; absent from older RunObjects). */
  tags: z.array(z.string()).optional(),
  metadataKeys: z.array(z.string()).optional(),
  /** An ended run's step attempt durations, for the metrics (run-index shards only; see step-durations.ts). */
  stepDurations: stepDurationsSchema.optional(),
});
export type RunIndexRow = z.infer<typeof runIndexRowSchema>;

/** The columns of a run index row, in the order of {@link runRowValues}. */
export const RUN_ROW_COLUMNS =
  "id, function_id, status, event_id, event_name, attempt, parent_run_id, error, created_at, ended_at, updated_at";

/** A row's values in the order of {@link RUN_ROW_COLUMNS}, to bind to an insert of them. */
export const runRowValues = (row: RunIndexRow): (string | number | null)[] => [
  row.id,
  row.functionId,
  row.status,
  row.eventId,
  row.eventName,
  row.attempt,
  row.parentRunId,
  row.error,
  row.createdAt,
  row.endedAt,
  row.updatedAt,
];

const UPSERT = `INSERT INTO runs (${RUN_ROW_COLUMNS})
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, error = excluded.error,
  ended_at = excluded.ended_at, updated_at = excluded.updated_at
WHERE excluded.updated_at >= runs.updated_at`;

/** The statement that writes `row` into the index, unless the index already holds a newer one. */
export function upsertRun(db: D1Database, row: RunIndexRow): D1PreparedStatement {
  return db.prepare(UPSERT).bind(...runRowValues(row));
}
