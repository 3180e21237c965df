-- The dashboard filters runs by the name of the event that started them, newest first.
CREATE INDEX runs_by_event_name ON runs (event_name, created_at DESC, id DESC);
-- Runs an event started, newest first, without a sort.
DROP INDEX runs_by_event;
CREATE INDEX runs_by_event ON runs (event_id, created_at DESC, id DESC);
