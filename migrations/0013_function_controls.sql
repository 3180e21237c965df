-- Functions an operator paused (new runs held, running runs held at their next step) or is
-- draining (new runs held, running runs go on). A function with no row runs as usual. Every change
-- bumps catalog_state's generation, so each isolate's copy of the catalogue learns it.
CREATE TABLE IF NOT EXISTS function_controls (
  function_id TEXT PRIMARY KEY,
  mode TEXT NOT NULL CHECK (mode IN ('paused', 'draining')),
  reason TEXT,
  since INTEGER NOT NULL
);
