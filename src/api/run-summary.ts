/**
 * A run's index row as the API shows it: times as ISO dates.
 */
import type { RunIndexRow } from "../db/runs.ts";

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The public shape of a run in listings. */
export function runSummary(row: RunIndexRow): Record<string, unknown> {
  return { ...row, createdAt: iso(row.createdAt), endedAt: iso(row.endedAt), updatedAt: iso(row.updatedAt) };
}
