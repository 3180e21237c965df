-- The event names some run waits for (a waitForEvent step or a cancelOn listener), written by
-- their WaitIndex while it has waiters. The router hands an event to its WaitIndex only when the
-- name is here; a wait that starts listening on a name looks back in `events` for what it missed.
CREATE TABLE wait_names (name TEXT PRIMARY KEY, since INTEGER NOT NULL);

-- A deployment upgraded with runs still going may have waits registered before this table
-- existed: until every such run has registered its waits again (the cron tick asks them, a page at
-- a time, after `after`), every name counts as waited for.
CREATE TABLE wait_names_upgrade (id INTEGER PRIMARY KEY CHECK (id = 1), after TEXT NOT NULL);
INSERT INTO wait_names_upgrade (id, after) SELECT 1, '' WHERE EXISTS (SELECT 1 FROM runs WHERE ended_at IS NULL);

-- The runs still going, by id: the pages that upgrade pass reads.
CREATE INDEX runs_live ON runs (id) WHERE ended_at IS NULL;

-- Whether routing made progress lately (the sweeper's question before it re-queues anything).
CREATE INDEX events_by_routed ON events (routed_at) WHERE routed_at IS NOT NULL;
