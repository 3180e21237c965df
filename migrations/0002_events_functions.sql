-- Events as accepted, before they are routed. An event is recorded here before the API answers,
-- and keeps routed_at NULL until the router has started every run it matches: the sweeper
-- re-routes whatever stays NULL (a restart between accept and route), so nothing accepted is lost.
CREATE TABLE events (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  ts INTEGER NOT NULL,
  user TEXT,
  v TEXT,
  received_at INTEGER NOT NULL,
  -- When the sweeper last re-queued it: it waits a grace period again before the next try, so a
  -- router that is merely behind is not flooded with repeats.
  queued_at INTEGER,
  routed_at INTEGER
);
CREATE INDEX events_by_received ON events (received_at DESC, id DESC);
CREATE INDEX events_by_name ON events (name, received_at DESC, id DESC);
CREATE INDEX events_unrouted ON events (received_at) WHERE routed_at IS NULL;

-- A function's idempotency key holds the run it started until expires_at (24 hours).
CREATE TABLE idempotency_keys (
  function_id TEXT NOT NULL,
  key TEXT NOT NULL,
  run_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (function_id, key)
);

-- The functions this Stepwise knows, with their config and triggers, for the API and dashboard.
CREATE TABLE functions (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL,
  name TEXT NOT NULL,
  triggers TEXT NOT NULL,
  config TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Runs of one function by status, and the newest runs of any status since a time.
CREATE INDEX runs_by_function_status ON runs (function_id, status, created_at DESC, id DESC);
