/**
 * Incidents (`alert_incidents`): once per incident. The first alert of a rule and subject (a
 * function) opens one and is sent; while it is open, further ones are only counted, and sent (with
 * the count) as a reminder once the rule's cooldown has passed since the last one sent. An
 * incident ends when the Worker's tick finds its condition cleared (resolve.ts); the next alert
 * opens a new one. Deciding is one conditional write in D1, so isolates racing on the same
 * incident send it once.
 */
import { z } from "zod";

/** Whether to send this alert, and how many were counted and not sent since the last one sent. */
export async function claimAlert(
  db: D1Database,
  ruleId: string,
  subject: string,
  title: string,
  cooldownMs: number,
  now: number,
): Promise<{ send: boolean; suppressed: number }> {
  // This alert is sent when the incident had ended, or its cooldown has passed since the last one sent.
  const sends = "(alert_incidents.resolved_at IS NOT NULL OR alert_incidents.last_sent_at <= ?3 - ?5)";
  const row = await db
    .prepare(
      `INSERT INTO alert_incidents (rule_id, subject, opened_at, last_sent_at, last_seen_at, suppressed, last_title)
VALUES (?1, ?2, ?3, ?3, ?3, 0, ?4)
ON CONFLICT (rule_id, subject) DO UPDATE SET
  opened_at = CASE WHEN alert_incidents.resolved_at IS NOT NULL THEN ?3 ELSE alert_incidents.opened_at END,
  sent_suppressed = CASE WHEN alert_incidents.resolved_at IS NOT NULL THEN 0
    WHEN ${sends} THEN alert_incidents.suppressed ELSE alert_incidents.sent_suppressed END,
  last_error = CASE WHEN alert_incidents.resolved_at IS NOT NULL THEN NULL ELSE alert_incidents.last_error END,
  suppressed = CASE WHEN ${sends} THEN 0 ELSE alert_incidents.suppressed + 1 END,
  last_title = ?4,
  last_seen_at = ?3,
  last_sent_at = CASE WHEN ${sends} THEN ?3 ELSE alert_incidents.last_sent_at END,
  resolved_at = NULL
RETURNING last_sent_at, suppressed, sent_suppressed`,
    )
    .bind(ruleId, subject, now, title, cooldownMs)
    .first();
  const claimed = z
    .object({ last_sent_at: z.number(), suppressed: z.number(), sent_suppressed: z.number() })
    .parse(row);
  // Sent by this call: the time is this call's and nothing was counted after it (a second alert
  // in the same millisecond is counted, so it is not sent).
  return { send: claimed.last_sent_at === now && claimed.suppressed === 0, suppressed: claimed.sent_suppressed };
}

const openSchema = z.object({
  rule_id: z.string(),
  subject: z.string(),
  opened_at: z.number(),
  last_seen_at: z.number(),
  suppressed: z.number(),
  last_title: z.string(),
});
/** An incident not resolved yet. */
export type OpenIncident = z.infer<typeof openSchema>;

/** Most open incidents one tick looks at. */
export const OPEN_LOOKED_AT = 500;

/** The open incidents, those seen longest ago first (at most {@link OPEN_LOOKED_AT}). */
export async function openIncidents(db: D1Database): Promise<OpenIncident[]> {
  const { results } = await db
    .prepare(
      `SELECT rule_id, subject, opened_at, COALESCE(last_seen_at, last_sent_at) AS last_seen_at, suppressed, last_title
FROM alert_incidents WHERE resolved_at IS NULL ORDER BY last_seen_at LIMIT ?1`,
    )
    .bind(OPEN_LOOKED_AT)
    .all();
  return results.map((raw) => openSchema.parse(raw));
}

/**
 * Ends `incident` at `now`, unless an alert was raised for it since it was read (then its condition
 * holds again). Answers whether this call ended it, so one notice goes out.
 */
export async function resolveIncident(db: D1Database, incident: OpenIncident, now: number): Promise<boolean> {
  const row = await db
    .prepare(
      `UPDATE alert_incidents SET resolved_at = ?3
WHERE rule_id = ?1 AND subject = ?2 AND resolved_at IS NULL AND COALESCE(last_seen_at, last_sent_at) = ?4
RETURNING rule_id`,
    )
    .bind(incident.rule_id, incident.subject, now, incident.last_seen_at)
    .first();
  return row !== null;
}

/** Notes why an incident's alert could not be delivered (shown with the rule). */
export async function noteDeliveryError(db: D1Database, ruleId: string, subject: string, error: string | null) {
  await db
    .prepare("UPDATE alert_incidents SET last_error = ?3 WHERE rule_id = ?1 AND subject = ?2")
    .bind(ruleId, subject, error?.slice(0, 500) ?? null)
    .run();
}

const incidentSchema = z.object({
  rule_id: z.string(),
  subject: z.string(),
  opened_at: z.number(),
  last_sent_at: z.number(),
  suppressed: z.number(),
  sent_suppressed: z.number(),
  last_title: z.string(),
  last_error: z.string().nullable(),
  last_seen_at: z.number().nullable(),
  resolved_at: z.number().nullable(),
  retrying: z.number(),
  next_retry_at: z.number().nullable(),
});

/** The incidents of every rule, newest alert first (at most 500). */
export async function readIncidents(db: D1Database) {
  const { results } = await db
    .prepare(
      `SELECT i.*,
  (SELECT COUNT(*) FROM alert_deliveries d WHERE d.rule_id = i.rule_id AND d.subject = i.subject) AS retrying,
  (SELECT MIN(next_attempt_at) FROM alert_deliveries d WHERE d.rule_id = i.rule_id AND d.subject = i.subject) AS next_retry_at
FROM alert_incidents i ORDER BY i.last_sent_at DESC LIMIT 500`,
    )
    .all()
    .catch((error: unknown) => {
      if (String(error).includes("no such table")) return { results: [] };
      throw error;
    });
  return results.map((raw) => {
    const row = incidentSchema.parse(raw);
    return {
      ruleId: row.rule_id,
      functionId: row.subject,
      openedAt: new Date(row.opened_at).toISOString(),
      lastSentAt: new Date(row.last_sent_at).toISOString(),
      lastSeenAt: new Date(row.last_seen_at ?? row.last_sent_at).toISOString(),
      resolvedAt: row.resolved_at === null ? null : new Date(row.resolved_at).toISOString(),
      suppressed: row.suppressed,
      lastTitle: row.last_title,
      lastError: row.last_error,
      /** Deliveries of this incident (its alert, its resolved notice) waiting to be retried, and the next try. */
      retrying: row.retrying,
      nextRetryAt: row.next_retry_at === null ? null : new Date(row.next_retry_at).toISOString(),
    };
  });
}
