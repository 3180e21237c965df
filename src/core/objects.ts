/**
 * Every Durable Object Stepwise reaches, and the name each instance has: the one place a stub is
 * made. A name decides which instance answers, so changing a scheme here moves state; the comment
 * on each says what the name holds and why.
 */
import type { Env } from "./env.ts";

/** The RunObject of run `runId` (named by the run id, so a derived id finds the same run twice). */
export function runObject(env: Env, runId: string) {
  return env.RUN.get(env.RUN.idFromName(runId));
}

/**
 * The one EventSweeper: it runs the start-up pass an isolate asks for (once per 10 s at most,
 * never on an event's path).
 */
export function eventSweeper(env: Env) {
  return env.SWEEPER.get(env.SWEEPER.idFromName("events"));
}

/**
 * EventShard number `shard` (0 to the shard count − 1, see src/core/events/shards.ts), holding the
 * events whose ids hash to it. The number is in the name, so a shard knows itself.
 */
export function eventShard(env: Env, shard: number) {
  return env.EVENT_SHARDS.get(env.EVENT_SHARDS.idFromName(`events-${shard}`));
}

/** IdempotencyShard number `shard` (see src/core/events/idempotency.ts), holding the keys that hash to it. */
export function idempotencyShard(env: Env, shard: number) {
  return env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(`keys-${shard}`));
}

/**
 * The WaitIndex named `name`: an event name's home index, or a keyed shard (its name from
 * `waitTarget`, src/core/waits/wait-targets.ts).
 */
export function waitIndex(env: Env, name: string) {
  return env.WAITS.get(env.WAITS.idFromName(name));
}

/**
 * Run-index shards per function: each run's rows go to one, picked by a hash of its id, so a busy
 * function's index writes spread over this many objects (see docs/scale.md for the figures).
 */
export const RUN_INDEX_SHARDS_PER_FUNCTION = 8;

/** Run-index shard `shard` of function `functionId` (a RunIndexBuffer in its index-shard role). */
export function runIndexShard(env: Env, functionId: string, shard: number) {
  return env.RUN_INDEX.get(env.RUN_INDEX.idFromName(`index:${JSON.stringify([functionId, shard])}`));
}

/**
 * The CronScheduler of one cron trigger. Named by the trigger itself, so a changed expression gets
 * a fresh scheduler and the old one removes itself at its next alarm.
 */
export function cronScheduler(env: Env, target: { functionId: string; cron: string; timezone?: string | undefined }) {
  return env.CRON.get(env.CRON.idFromName(JSON.stringify([target.functionId, target.cron, target.timezone ?? "UTC"])));
}

/** The CronScheduler of a schedule made at run time (named apart from every trigger's). */
export function scheduleObject(env: Env, scheduleId: string) {
  return env.CRON.get(env.CRON.idFromName(JSON.stringify(["schedule", scheduleId])));
}

/**
 * The ConcurrencyLimiter of one limit and key value: per function and limit (by its index in the
 * function's config), or per key expression across functions for an `env`-scoped limit.
 */
export function concurrencyLimiter(env: Env, limit: NamedLimit, keyValue: string, shard?: number) {
  const name = limit.scope === "env" ? ["env", limit.key, keyValue] : [limit.functionId, limit.index, keyValue];
  return env.LIMITS.get(env.LIMITS.idFromName(JSON.stringify(shard === undefined ? name : [...name, shard])));
}

/** Which limit a ConcurrencyLimiter counts: an `env`-scoped key expression, or a function's limit by index. */
export type NamedLimit = { scope: "env"; key: string } | { scope: "fn"; functionId: string; index: number };

/**
 * Limits this high are split over shards of their limiter, each granting slots it leases in
 * blocks from the limiter itself (durable-objects/flow/lease-table.ts), so one limit is not one
 * object called per drive. Lower limits pass few drives at a time and stay one object.
 */
export const LEASED_LIMIT_MIN = 16;

/** How many shards a limit of `limit` is split over (1: not split): one per 8 slots, at most 8. */
export const limiterShards = (limit: number): number =>
  limit < LEASED_LIMIT_MIN ? 1 : Math.min(8, Math.floor(limit / 8));

/**
 * The FlowGate of one start-time control (`rateLimit`, `singleton`, `throttle`) of a function, per
 * key value; with `shard`, that shard of a split rate (see {@link gateShards}).
 */
export function flowGate(env: Env, functionId: string, kind: string, keyValue: string, shard?: number) {
  const name = [functionId, kind, keyValue];
  return env.GATES.get(env.GATES.idFromName(JSON.stringify(shard === undefined ? name : [...name, shard])));
}

/**
 * How many shards a rate's gate is split over (1: not split). Each admits from blocks its parent
 * gate lends it (durable-objects/flow/gate-lease.ts). An unkeyed rate limit is split whatever its
 * rate: its shards refuse locally while the parent has no token, so a function's candidates are
 * not one object's calls. A throttle, or a keyed rate limit, is split from 160 per second, where
 * a block (a tenth of a second of the rate over the shards) holds at least two.
 */
export function gateShards(kind: "rateLimit" | "throttle", rate: { limit: number; periodMs: number }, keyed: boolean) {
  if (kind === "rateLimit" && !keyed) return GATE_SHARDS;
  return (rate.limit * 1_000) / rate.periodMs >= 160 ? GATE_SHARDS : 1;
}
const GATE_SHARDS = 8;

/** The EventCollector that debounces or batches a function's events (`kind`), per key value. */
export function eventCollector(env: Env, functionId: string, kind: string, keyValue: string) {
  return env.COLLECTORS.get(env.COLLECTORS.idFromName(JSON.stringify([functionId, kind, keyValue])));
}

/** The BulkJob `jobId` (a bulk cancel or replay). */
export function bulkJob(env: Env, jobId: string) {
  return env.BULK.get(env.BULK.idFromName(jobId));
}

/** The RealtimeStream named `stream` (a stream name, docs/realtime.md): its messages and subscribers. */
export function realtimeStream(env: Env, stream: string) {
  return env.STREAMS.get(env.STREAMS.idFromName(`stream:${stream}`));
}
