-- Alert rules (POST /v1/alerts/rules) and their incidents: an incident is a rule and the function
-- it fired for; it stays open, its further alerts counted rather than sent, for the rule's cooldown.
CREATE TABLE IF NOT EXISTS alert_rules (
  id TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_incidents (
  rule_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  last_sent_at INTEGER NOT NULL,
  suppressed INTEGER NOT NULL DEFAULT 0,
  sent_suppressed INTEGER NOT NULL DEFAULT 0,
  last_title TEXT NOT NULL,
  last_error TEXT,
  PRIMARY KEY (rule_id, subject)
);
