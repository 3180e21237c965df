-- The run index moves from D1's `runs` into run-index shards per function (Durable Objects).
-- D1 keeps which functions have index shards with rows, so a listing of every function's runs
-- knows which shards to read (a shard notes its function here once, with its first row).
-- `runs` stays until the start-up pass and the cron tick have moved its rows into the shards.
CREATE TABLE IF NOT EXISTS indexed_functions (
  function_id TEXT PRIMARY KEY,
  first_at INTEGER NOT NULL
);
