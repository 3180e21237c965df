/**
 * Sending an incident's alert or resolved notice, and retrying it. A channel that fails for a
 * reason that may pass (unreachable, a timeout, 408, 429, 5xx) is tried again twice at once
 * ({@link INLINE_PAUSES_MS}); then the message waits in the `alert_deliveries` outbox and the
 * Worker's cron tick tries it again, with a growing pause, for {@link RETRY_FOR_MS}. A retry keeps
 * the alert's id (and signs it afresh), so a receiver that got it twice can tell. One row per
 * incident and kind: a newer message of the same kind takes the older one's place.
 */
import { z } from "zod";
import { alertPayloadSchema, type AlertPayload } from "../../../sdk/alerts.ts";
import type { Env } from "../env.ts";
import { deliver, DeliveryError } from "./deliver.ts";
import { noteDeliveryError } from "./incidents.ts";
import { readRules, type AlertRule } from "./rules.ts";

/** The pauses between the attempts made at once, before the outbox takes over. */
export const INLINE_PAUSES_MS = [250, 1_000];
/** How long the outbox keeps trying a message. */
export const RETRY_FOR_MS = 24 * 3_600_000;
/** The outbox's first pause; each failed retry doubles it, up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 60_000;
const MAX_PAUSE_MS = 3_600_000;
/** Most messages one tick retries (the oldest due first). */
export const RETRIED_PER_TICK = 50;

/** What an incident sends: its alert (and reminders), or the notice that it ended. */
export type DeliveryKind = "alert" | "resolved";

const reasonOf = (error: unknown): DeliveryError =>
  error instanceof DeliveryError
    ? error
    : new DeliveryError(error instanceof Error ? error.message : String(error), true);

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One attempt; notes the outcome with the incident. Answers the failure, if any. */
async function attempt(env: Env, rule: AlertRule, alert: AlertPayload): Promise<DeliveryError | undefined> {
  try {
    await deliver(env, rule.channel, alert);
    await noteDeliveryError(env.DB, rule.id, alert.functionId, null);
    return undefined;
  } catch (error) {
    const failure = reasonOf(error);
    console.error(`stepwise: alert "${rule.name}" (${rule.id}) could not be delivered: ${failure.message}`);
    await noteDeliveryError(env.DB, rule.id, alert.functionId, failure.message);
    return failure;
  }
}

/**
 * Sends `alert` for `rule`'s incident about `alert.functionId`: at once, then from the outbox.
 * Answers whether it went out now. Never throws for the channel's sake.
 */
export async function sendIncidentMessage(
  env: Env,
  rule: AlertRule,
  kind: DeliveryKind,
  alert: AlertPayload,
  now = Date.now(),
): Promise<boolean> {
  // A new alert makes a waiting resolved notice of the incident stale, and the reverse.
  await env.DB.prepare("DELETE FROM alert_deliveries WHERE rule_id = ?1 AND subject = ?2")
    .bind(rule.id, alert.functionId)
    .run();
  let failure: DeliveryError | undefined;
  for (let tried = 0; ; tried++) {
    failure = await attempt(env, rule, alert);
    if (!failure) return true;
    if (!failure.retryable || tried >= INLINE_PAUSES_MS.length) break;
    await pause(INLINE_PAUSES_MS[tried] ?? 0);
  }
  if (failure.retryable)
    await env.DB.prepare(
      `INSERT OR REPLACE INTO alert_deliveries (rule_id, subject, kind, payload, attempts, next_attempt_at, expires_at, last_error)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
    )
      .bind(
        rule.id,
        alert.functionId,
        kind,
        JSON.stringify(alert),
        INLINE_PAUSES_MS.length + 1,
        now + FIRST_PAUSE_MS,
        now + RETRY_FOR_MS,
        failure.message.slice(0, 500),
      )
      .run();
  return false;
}

const rowSchema = z.object({
  row_id: z.number().int(),
  rule_id: z.string(),
  subject: z.string(),
  kind: z.enum(["alert", "resolved"]),
  payload: z.string(),
  attempts: z.number().int(),
  expires_at: z.number(),
  last_error: z.string(),
});

/** How long a tick holds the messages it took: another tick, overlapping it, leaves them alone. */
const LEASE_MS = 10 * 60_000;

const parsedPayload = (text: string): AlertPayload | undefined => {
  try {
    const parsed = alertPayloadSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The tick's retries of the outbox's due messages, each taken under a lease first (so overlapping
 * ticks do not both send it). A row's outcome is written only while it still holds the message
 * taken: a newer message of the incident that took its place is left as it is. A row that cannot
 * be read is dropped, never retried forever. Answers how many went out and how many were given up.
 */
export async function retryDeliveries(env: Env, now = Date.now()): Promise<{ sent: number; givenUp: number }> {
  const { results } = await env.DB.prepare(
    `UPDATE alert_deliveries SET next_attempt_at = ?2 WHERE rowid IN
  (SELECT rowid FROM alert_deliveries WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT ?3)
RETURNING rowid AS row_id, *`,
  )
    .bind(now, now + LEASE_MS, RETRIED_PER_TICK)
    .all();
  if (results.length === 0) return { sent: 0, givenUp: 0 };
  const rules = new Map((await readRules(env.DB, true)).map((rule) => [rule.id, rule]));
  const outcome = { sent: 0, givenUp: 0 };
  for (const raw of results) {
    const row = rowSchema.safeParse(raw);
    if (!row.success) {
      const rowId = z.object({ row_id: z.number() }).safeParse(raw);
      if (rowId.success)
        await env.DB.prepare("DELETE FROM alert_deliveries WHERE rowid = ?1").bind(rowId.data.row_id).run();
      continue;
    }
    const { rule_id, subject, kind, payload, attempts, expires_at } = row.data;
    // The row as it was taken: same incident, kind and message.
    const same = "rule_id = ?1 AND subject = ?2 AND kind = ?3 AND payload = ?4";
    const taken = [rule_id, subject, kind, payload] as const;
    const drop = () =>
      env.DB.prepare(`DELETE FROM alert_deliveries WHERE ${same}`)
        .bind(...taken)
        .run();
    const rule = rules.get(rule_id);
    const alert = parsedPayload(payload);
    if (!rule || !alert) {
      await drop();
      continue;
    }
    const failure = await attempt(env, rule, alert);
    if (!failure) {
      outcome.sent++;
      await drop();
    } else if (!failure.retryable || now >= expires_at) {
      outcome.givenUp++;
      await drop();
      const why = `given up after ${attempts + 1} attempts: ${failure.message}`;
      await noteDeliveryError(env.DB, rule_id, subject, why);
    } else {
      const next = now + Math.min(FIRST_PAUSE_MS * 2 ** (attempts - INLINE_PAUSES_MS.length), MAX_PAUSE_MS);
      await env.DB.prepare(
        `UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = ?5, last_error = ?6 WHERE ${same}`,
      )
        .bind(...taken, next, failure.message.slice(0, 500))
        .run();
    }
  }
  return outcome;
}
