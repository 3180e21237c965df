-- The nonces of signed requests Stepwise has accepted (an app's POST /v1/apps/sync), each kept
-- until its signature goes stale (five minutes), so a captured request cannot be sent twice.
CREATE TABLE signature_nonces (
  nonce TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE INDEX signature_nonces_by_expiry ON signature_nonces (expires_at);
