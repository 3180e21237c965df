/**
 * Incidents (`alert_incidents`): once per incident. The first alert of a rule and subject (a
 * function) opens one and is sent; until the rule's cooldown has passed since the last alert
 * sent, further ones are only counted. Deciding is one conditional write in D1, so isolates racing
 * on the same incident send it once.
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
  const row = await db
    .prepare(
      `INSERT INTO alert_incidents (rule_id, subject, opened_at, last_sent_at, suppressed, last_title)
VALUES (?1, ?2, ?3, ?3, 0, ?4)
ON CONFLICT (rule_id, subject) DO UPDATE SET
  opened_at = CASE WHEN alert_incidents.last_sent_at <= ?3 - ?5 THEN ?3 ELSE alert_incidents.opened_at END,
  sent_suppressed = CASE WHEN alert_incidents.last_sent_at <= ?3 - ?5 THEN alert_incidents.suppressed
    ELSE alert_incidents.sent_suppressed END,
  suppressed = CASE WHEN alert_incidents.last_sent_at <= ?3 - ?5 THEN 0 ELSE alert_incidents.suppressed + 1 END,
  last_title = ?4,
  last_sent_at = CASE WHEN alert_incidents.last_sent_at <= ?3 - ?5 THEN ?3 ELSE alert_incidents.last_sent_at END
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
});

/** The incidents of every rule, newest alert first (at most 500). */
export async function readIncidents(db: D1Database) {
  const { results } = await db
    .prepare(`SELECT * FROM alert_incidents ORDER BY last_sent_at DESC LIMIT 500`)
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
      suppressed: row.suppressed,
      lastTitle: row.last_title,
      lastError: row.last_error,
    };
  });
}
