/**
 * Step attempt durations as a fixed-bucket histogram: a run counts its attempts as it goes
 * (durable-objects/run/step-durations.ts), its ended row carries the counts to its run-index
 * shard, and the shards' counts add up bucket by bucket into the `stepwise_step_duration_seconds`
 * metric. Fixed bounds, not the run index's 2% buckets: a metric's buckets must not move. The run
 * duration metric's bounds are here too, so Prometheus and OTLP share them.
 */
import { z } from "zod";

/** Upper bounds of the buckets, in seconds; past the last is `+Inf` (bucket `STEP_LE_SECONDS.length`). */
export const STEP_LE_SECONDS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] as const;

/** Non-empty buckets: how many attempts fell in bucket `le`, and their total duration. */
export const stepDurationsSchema = z
  .array(
    z.object({
      le: z.number().int().min(0).max(STEP_LE_SECONDS.length),
      n: z.number().int().min(0),
      sumMs: z.number().min(0),
    }),
  )
  .max(STEP_LE_SECONDS.length + 1);
export type StepDurations = z.infer<typeof stepDurationsSchema>;

/** Upper bounds of the run duration histogram's buckets, in seconds (Prometheus and OTLP alike). */
export const RUN_LE_SECONDS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3_600, 21_600, 86_400] as const;

/** The bucket of a duration in ms among `bounds` (seconds); past the last: `bounds.length`. */
export function leOf(ms: number, bounds: readonly number[] = STEP_LE_SECONDS): number {
  const index = bounds.findIndex((le) => ms <= le * 1_000);
  return index === -1 ? bounds.length : index;
}

/** `into` with one attempt of `ms` counted (in place). */
export function countDuration(into: StepDurations, ms: number): void {
  const le = leOf(ms);
  const bucket = into.find((b) => b.le === le);
  if (bucket) {
    bucket.n++;
    bucket.sumMs += ms;
  } else into.push({ le, n: 1, sumMs: ms });
}

/** The buckets of several histograms added up, in bucket order. */
export function mergeDurations(histograms: readonly StepDurations[]): StepDurations {
  const merged = new Map<number, { n: number; sumMs: number }>();
  for (const histogram of histograms)
    for (const { le, n, sumMs } of histogram) {
      const bucket = merged.get(le) ?? { n: 0, sumMs: 0 };
      merged.set(le, { n: bucket.n + n, sumMs: bucket.sumMs + sumMs });
    }
  return [...merged].sort(([a], [b]) => a - b).map(([le, bucket]) => ({ le, ...bucket }));
}
