-- The run index: one row per run, written by its RunObject when the run's status changes.
-- The runs API and the dashboard query it; step detail stays in each RunObject.
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  function_id TEXT NOT NULL,
  status TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_name TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  parent_run_id TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  ended_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
CREATE INDEX runs_by_function ON runs (function_id, created_at DESC, id DESC);
CREATE INDEX runs_by_status ON runs (status, created_at DESC, id DESC);
CREATE INDEX runs_by_event ON runs (event_id);
