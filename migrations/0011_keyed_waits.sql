-- Waits whose condition pins the incoming event to one value live in keyed shards of their event
-- name (one per name, path and slot), each listening for itself: its row names the event, the
-- path and the slot. A home index's row (every row before this) has none of them.
ALTER TABLE wait_names ADD COLUMN event_name TEXT;
ALTER TABLE wait_names ADD COLUMN path TEXT;
ALTER TABLE wait_names ADD COLUMN slot INTEGER;
-- The keyed shards listening to some names: what the router asks when a shard is unsettled.
CREATE INDEX wait_names_by_event ON wait_names (event_name) WHERE event_name IS NOT NULL;
