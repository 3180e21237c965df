-- Retention prunes by these times: ended runs past the retention period, expired idempotency keys.
CREATE INDEX runs_by_ended ON runs (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX idempotency_by_expiry ON idempotency_keys (expires_at);
