-- How many times the sweeper has re-queued an unrouted event, and why routing it last failed.
-- After MAX_SWEEPS re-queues the sweeper leaves the event alone (it stays recorded, unrouted and
-- visible with its error) until someone asks to route it again (POST /v1/events/:id/reroute).
ALTER TABLE events ADD COLUMN sweeps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN route_error TEXT;
