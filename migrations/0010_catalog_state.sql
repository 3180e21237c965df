-- The function catalogue's state, one row. `generation` goes up whenever an app syncs, so an
-- isolate re-reads the remote functions only when they changed (one row read every 2 s, not a
-- scan of functions and apps). `embedded` is a digest of the embedded functions last written to
-- `functions`, so an isolate of a deployment already synced skips rewriting them.
CREATE TABLE catalog_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL,
  embedded TEXT NOT NULL
);
INSERT INTO catalog_state (id, generation, embedded) VALUES (1, 0, '');
