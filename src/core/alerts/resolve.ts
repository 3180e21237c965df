/**
 * Ending incidents. On the Worker's cron tick each open incident whose condition no longer holds
 * is resolved, and its rule's channel gets a notice titled "Resolved: <its last alert>". By kind:
 * - `run_failed`, `cron_missed`: none raised for the rule's cooldown;
 * - `failure_rate`: the rate over the window is at or under the threshold, or too few runs ended;
 * - `events_unrouted`, `slot_wait`: this tick's check found the condition clear.
 * An incident of a deleted rule was deleted with it.
 */
import { toMs } from "../../../sdk/duration.ts";
import type { Env } from "../env.ts";
import { failureRate, percent } from "./failure-rate.ts";
import { openIncidents, resolveIncident, type OpenIncident } from "./incidents.ts";
import { sendIncidentMessage } from "./outbox.ts";
import { payload } from "./raise.ts";
import { readRules, type AlertRule } from "./rules.ts";

/** What a tick's checks found: per rule id, the subjects (functions, or "*") whose condition holds. */
export type Firing = ReadonlyMap<string, ReadonlySet<string>>;

/** Why `incident` has ended, or undefined while its condition holds. */
async function clearedBecause(
  env: Env,
  rule: AlertRule,
  incident: OpenIncident,
  firing: Firing,
  now: number,
): Promise<string | undefined> {
  switch (rule.kind) {
    case "run_failed":
    case "cron_missed": {
      const quietSince = incident.last_seen_at;
      if (now - quietSince < toMs(rule.cooldown)) return undefined;
      const what = rule.kind === "run_failed" ? "No run failed" : "No cron tick ran late";
      return `${what} for ${String(rule.cooldown)} since ${new Date(quietSince).toISOString()}.`;
    }
    case "failure_rate": {
      const rate = await failureRate(env, rule, incident.subject, now);
      if (rate.over) return undefined;
      return `${rate.failed} of ${rate.ended} ended runs failed in the last ${String(rule.window)} (${percent(rate.rate)}; the rule's threshold is ${rule.threshold}% over at least ${rule.minRuns}).`;
    }
    case "events_unrouted":
    case "slot_wait": {
      const holding = firing.get(rule.id);
      if (!holding || holding.has(incident.subject)) return undefined;
      return rule.kind === "events_unrouted"
        ? `Events are being routed again (at most ${rule.threshold} waiting, none given up on).`
        : `No run has waited over ${String(rule.longerThan)} for a concurrency slot.`;
    }
  }
}

/** Resolves the open incidents whose condition has cleared and sends their notices. Answers how many ended. */
export async function resolveIncidents(env: Env, firing: Firing, now = Date.now()): Promise<number> {
  const open = await openIncidents(env.DB);
  if (open.length === 0) return 0;
  const rules = new Map((await readRules(env.DB, true)).map((rule) => [rule.id, rule]));
  let ended = 0;
  for (const incident of open) {
    const rule = rules.get(incident.rule_id);
    if (!rule) continue;
    const because = await clearedBecause(env, rule, incident, firing, now);
    if (!because || !(await resolveIncident(env.DB, incident, now))) continue;
    ended++;
    const counted = incident.suppressed ? ` ${incident.suppressed} more alert(s) of it were counted and not sent.` : "";
    const notice = {
      ...payload(
        rule,
        incident.subject,
        {
          title: `Resolved: ${incident.last_title}`,
          text: `${because} The incident opened at ${new Date(incident.opened_at).toISOString()}.${counted}`,
        },
        now,
      ),
      resolved: true,
      openedAt: new Date(incident.opened_at).toISOString(),
      ...(incident.suppressed ? { suppressed: incident.suppressed } : {}),
    };
    await sendIncidentMessage(env, rule, "resolved", notice, now);
  }
  return ended;
}
