-- What an app's SDK can do beyond the protocol's base (its manifest's `features`), such as
-- "run-steps": several planned steps in one call, answered with every outcome. An app synced
-- before this column existed has none until it syncs again, and gets one step per call.
ALTER TABLE apps ADD COLUMN features TEXT NOT NULL DEFAULT '[]';
