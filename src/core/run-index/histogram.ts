/**
 * Mergeable duration histograms: each run-index shard counts its completed runs' durations in
 * logarithmic buckets, and shards' counts add up bucket by bucket, so a function's p50 and p95
 * over any set of shards and hours come from counters, not from sorting its runs. A bucket spans
 * 2% of its value, so a percentile is within 2% of the exact one (durations up to 1 ms share a
 * bucket).
 */
import { stepDurationsSchema } from "./step-durations.ts";
import { z } from "zod";

/** One function's runs over a window. */
export interface FunctionStats {
  byStatus: Record<string, number>;
  total: number;
  /** Failed runs over ended ones (completed, failed, cancelled); null before any has ended. */
  failureRate: number | null;
  /** Durations of completed runs, creation to end, in ms; null when none completed. */
  p50Ms: number | null;
  p95Ms: number | null;
}

/** The figures of a function with no runs in the window. */
export const emptyStats = (): FunctionStats => ({
  byStatus: {},
  total: 0,
  failureRate: null,
  p50Ms: null,
  p95Ms: null,
});

/** The counters' time grain: runs are counted by the hour they were created in. */
export const HOUR_MS = 3_600_000;

/** Each bucket's upper bound is this factor above the one before. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);

/** The bucket of a duration in ms: bucket b holds (GROWTH^(b-1), GROWTH^b]; bucket 0 holds up to 1 ms. */
export const bucketOf = (ms: number): number => (ms <= 1 ? 0 : Math.ceil(Math.log(ms) / LOG_GROWTH - 1e-9));

/** The duration a bucket stands for: its upper bound, rounded to the ms. */
export const bucketValue = (bucket: number): number => (bucket <= 0 ? 1 : Math.round(GROWTH ** bucket));

export const durationBucketSchema = z.object({ bucket: z.number().int().min(0), n: z.number().int() });
export type DurationBucket = z.infer<typeof durationBucketSchema>;

/** What one shard answers for a function's figures over a window. */
export const shardStatsSchema = z.object({
  byStatus: z.record(z.string(), z.number().int()),
  durations: z.array(durationBucketSchema),
  /** Step attempt durations of the runs that ended in the window (absent from older shards). */
  steps: stepDurationsSchema.optional(),
  /** Runs queued (for a slot, a throttle…) or held paused now, whenever created. */
  backlog: z.object({ queued: z.number().int(), paused: z.number().int() }).optional(),
});
export type ShardStats = z.infer<typeof shardStatsSchema>;

/** The duration at rank `rank` (1-based, ascending) of a histogram, or null when it is empty. */
function atRank(buckets: DurationBucket[], rank: number): number | null {
  let seen = 0;
  for (const { bucket, n } of buckets) {
    seen += n;
    if (seen >= rank) return bucketValue(bucket);
  }
  return null;
}

/**
 * A function's figures from its shards' answers: runs per status, the failure rate over ended
 * runs, and p50/p95 of completed runs by nearest rank (the smallest duration with at least that
 * share at or below it), as the bucket's value.
 */
export function mergeStats(answers: ShardStats[]): FunctionStats {
  const byStatus: Record<string, number> = {};
  const merged = new Map<number, number>();
  for (const answer of answers) {
    for (const [status, n] of Object.entries(answer.byStatus)) byStatus[status] = (byStatus[status] ?? 0) + n;
    for (const { bucket, n } of answer.durations) merged.set(bucket, (merged.get(bucket) ?? 0) + n);
  }
  const buckets = [...merged]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a - b)
    .map(([bucket, n]) => ({ bucket, n }));
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  const ended = (byStatus.completed ?? 0) + (byStatus.failed ?? 0) + (byStatus.cancelled ?? 0);
  const completed = buckets.reduce((sum, { n }) => sum + n, 0);
  return {
    byStatus,
    total,
    failureRate: ended === 0 ? null : (byStatus.failed ?? 0) / ended,
    p50Ms: completed === 0 ? null : atRank(buckets, Math.floor((completed + 1) / 2)),
    p95Ms: completed === 0 ? null : atRank(buckets, Math.floor((completed * 19 + 19) / 20)),
  };
}
