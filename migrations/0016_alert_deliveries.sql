-- Incidents end: last_seen_at is the last time the rule's condition held (an alert raised, sent or
-- counted); resolved_at is set once the condition has cleared and a "resolved" notice went out.
ALTER TABLE alert_incidents ADD COLUMN last_seen_at INTEGER;
ALTER TABLE alert_incidents ADD COLUMN resolved_at INTEGER;
-- Incidents from before this migration are closed as they stand, without a notice: ending them
-- on the first tick would send "Resolved" for incidents that may be months old.
UPDATE alert_incidents SET last_seen_at = last_sent_at, resolved_at = last_sent_at;
-- The delivery outbox: an alert (or a resolved notice) whose channel failed for a reason that may
-- pass is kept here and retried on the Worker's cron tick until it goes out or expires. One row per
-- incident and kind, so the outbox is bounded by rules x functions x 2.
CREATE TABLE IF NOT EXISTS alert_deliveries (
  rule_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  PRIMARY KEY (rule_id, subject, kind)
);
CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries (next_attempt_at);
