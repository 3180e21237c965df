/**
 * Alerts: rules that tell a team when runs go wrong, delivered to a signed webhook, a
 * Slack-compatible incoming webhook, or email (through the deployment's email provider). Each rule
 * raises an alert once per incident: a rule and the function it fired for make an incident, which
 * lasts (its further alerts counted, with a reminder each cooldown) until its condition clears and
 * a "resolved" notice goes out.
 */
import { z } from "zod";
import { toMs } from "./duration.ts";

/** The most rules a deployment may have. */
export const MAX_ALERT_RULES = 200;

const httpsUrl = z
  .url()
  .max(2_000)
  .refine((url) => /^https?:\/\//.test(url), { error: "an http(s) URL" });
const duration = z.union([z.number().int().min(0), z.string().min(1).max(64)]).refine(
  (value) => {
    try {
      const ms = toMs(value);
      return ms >= 60_000 && ms <= 7 * 86_400_000;
    } catch {
      return false;
    }
  },
  { error: 'a duration from a minute to 7 days (like "10m")' },
);

/** Where an alert goes. */
export const alertChannelSchema = z.discriminatedUnion("type", [
  /** A JSON POST signed `x-stepwise-signature: t=<unix s>,v1=<HMAC-SHA256 hex of "<t>.<body>">` with `secret`. */
  z.object({ type: z.literal("webhook"), url: httpsUrl, secret: z.string().min(16).max(256) }).strict(),
  /** A Slack (or Slack-compatible: Mattermost, Discord's /slack) incoming webhook. */
  z.object({ type: z.literal("slack"), url: httpsUrl }).strict(),
  /** Email through the deployment's provider (STEPWISE_EMAIL_API_KEY and STEPWISE_EMAIL_FROM). */
  z.object({ type: z.literal("email"), to: z.array(z.email()).min(1).max(10) }).strict(),
]);
export type AlertChannel = z.infer<typeof alertChannelSchema>;

const common = {
  name: z.string().trim().min(1).max(200),
  /** Only this function's runs; absent: every function's. */
  functionId: z.string().min(1).max(256).optional(),
  channel: alertChannelSchema,
  /** While an incident lasts, how long after the last alert sent a further one is sent as a reminder (the others are counted, not sent). */
  cooldown: duration.default("10m"),
};

/** A new rule (`POST /v1/alerts/rules`). */
export const alertRuleInputSchema = z.discriminatedUnion("kind", [
  /** A run failed after its last attempt. */
  z.object({ kind: z.literal("run_failed"), ...common }).strict(),
  /** A function's failed runs over its ended runs passed `threshold` percent in the last `window`, over at least `minRuns` ended runs. */
  z
    .object({
      kind: z.literal("failure_rate"),
      ...common,
      threshold: z.number().min(0).max(100),
      window: duration.default("15m"),
      minRuns: z.number().int().min(1).max(100_000).default(10),
    })
    .strict(),
  /**
   * Events are not being routed: more than `threshold` wait to be routed, or any was given up on
   * (checked on the Worker's cron tick; deployment-wide, so no `functionId`).
   */
  z
    .object({
      kind: z.literal("events_unrouted"),
      ...common,
      functionId: z.undefined().optional(),
      threshold: z.number().int().min(0).max(10_000_000).default(1_000),
    })
    .strict(),
  /** A cron tick (of a trigger or a schedule) started its run more than `tolerance` late: Stepwise was down or behind. */
  z.object({ kind: z.literal("cron_missed"), ...common, tolerance: duration.default("5m") }).strict(),
  /** A run has waited for a concurrency slot longer than `longerThan` (checked on the Worker's cron tick). */
  z.object({ kind: z.literal("slot_wait"), ...common, longerThan: duration.default("15m") }).strict(),
]);
export type AlertRuleInput = z.input<typeof alertRuleInputSchema>;
export type AlertRuleSpec = z.output<typeof alertRuleInputSchema>;

/** What a channel receives (a webhook's JSON body; Slack and email get `title` and `text`). */
export const alertPayloadSchema = z.object({
  /** Unique per alert; a retried delivery keeps it, so a receiver can drop one it already has. */
  id: z.string(),
  rule: z.object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(["run_failed", "failure_rate", "events_unrouted", "cron_missed", "slot_wait"]),
  }),
  functionId: z.string(),
  title: z.string(),
  text: z.string(),
  /** ISO time. */
  at: z.string(),
  /** The run concerned (a failed one, a late cron tick's, the longest waiting for a slot), and its dashboard page when STEPWISE_PUBLIC_URL is set. */
  runId: z.string().optional(),
  runUrl: z.string().optional(),
  /** Alerts of this incident counted and not sent since the last one. */
  suppressed: z.number().int().optional(),
  /** The incident has ended: its condition no longer holds (the title starts "Resolved:"). */
  resolved: z.boolean().optional(),
  /** When the incident opened (ISO time). */
  openedAt: z.string().optional(),
  /** Sent from the dashboard or `POST /v1/alerts/rules/:id/test`, not by an incident. */
  test: z.boolean().optional(),
});
export type AlertPayload = z.infer<typeof alertPayloadSchema>;
