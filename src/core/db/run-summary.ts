/**
 * A run's index row as callers see it (HTTP and RPC alike): times as ISO dates.
 */
import type { RunSummary } from "../../../sdk/runs.ts";
import type { RunIndexRow } from "./runs.ts";

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The public shape of a run in listings. */
export function runSummary(row: RunIndexRow): RunSummary {
  return {
    ...row,
    createdAt: new Date(row.createdAt).toISOString(),
    endedAt: iso(row.endedAt),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
