-- Apps whose functions Stepwise runs remotely (serve()): reached through a service binding of the
-- Stepwise Worker or at an HTTP(S) URL. Their functions are rows of `functions` with this app_id.
CREATE TABLE apps (
  id TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  sdk TEXT NOT NULL,
  synced_at INTEGER NOT NULL
);
