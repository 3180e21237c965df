/**
 * How long Stepwise keeps what it records: events (in their shards) and ended runs. Set by
 * STEPWISE_RETENTION_DAYS; at least 2 days, so the 24-hour dedup and idempotency windows hold.
 */
import type { Env } from "../env.ts";

/** Days kept when STEPWISE_RETENTION_DAYS is not set. */
const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The retention period in ms: STEPWISE_RETENTION_DAYS (at least 2), or 30 days. */
export function retentionMs(env: Pick<Env, "STEPWISE_RETENTION_DAYS">): number {
  const days = Number(env.STEPWISE_RETENTION_DAYS);
  return (Number.isFinite(days) && days >= 2 ? days : DEFAULT_RETENTION_DAYS) * DAY_MS;
}

/**
 * How long routed events are kept: STEPWISE_EVENT_RETENTION_DAYS (at least 2) when set, else the
 * retention period. At high rates the event history is what fills the EventShards first
 * (docs/scale.md), so it may be kept shorter than runs.
 */
export function eventRetentionMs(env: Pick<Env, "STEPWISE_RETENTION_DAYS" | "STEPWISE_EVENT_RETENTION_DAYS">): number {
  const days = Number(env.STEPWISE_EVENT_RETENTION_DAYS);
  return env.STEPWISE_EVENT_RETENTION_DAYS !== undefined && Number.isFinite(days) && days >= 2
    ? days * DAY_MS
    : retentionMs(env);
}
