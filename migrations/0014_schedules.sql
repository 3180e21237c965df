-- Schedules made at run time (POST /v1/schedules): the list of record, read by listings and the
-- dashboard. Each schedule's CronScheduler keeps its alarm and its last tick; `spec` holds its
-- timing (cron and zone, or interval and anchor) and data as JSON.
CREATE TABLE IF NOT EXISTS schedules (
  id TEXT PRIMARY KEY,
  function_id TEXT NOT NULL,
  tenant TEXT,
  dedup_key TEXT,
  spec TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS schedules_by_function ON schedules (function_id, id);
CREATE INDEX IF NOT EXISTS schedules_by_tenant ON schedules (tenant, id);
