/**
 * The alerts page: each rule with its channel (a webhook's secret never shown) and buttons to send
 * a test alert and delete it; and the incidents: open or resolved, how many alerts each counted
 * and not sent, and deliveries waiting for a retry.
 */
import type { FC } from "hono/jsx";
import type { readIncidents } from "../../core/alerts/incidents.ts";
import type { ruleView } from "../../core/alerts/rules.ts";
import { ActionButton, Time } from "../components.tsx";

type RuleView = ReturnType<typeof ruleView>;
type Incident = Awaited<ReturnType<typeof readIncidents>>[number];

function when(rule: RuleView): string {
  switch (rule.kind) {
    case "run_failed":
      return "a run failed after its last attempt";
    case "failure_rate":
      return `over ${rule.threshold}% of at least ${rule.minRuns} ended runs failed in ${String(rule.window)}`;
    case "events_unrouted":
      return `over ${rule.threshold} events wait to be routed, or routing one was given up`;
    case "cron_missed":
      return `a cron tick ran more than ${String(rule.tolerance)} late`;
    case "slot_wait":
      return `a run waited for a concurrency slot over ${String(rule.longerThan)}`;
  }
}

const where = (rule: RuleView): string =>
  rule.channel.type === "email" ? `email ${rule.channel.to.join(", ")}` : `${rule.channel.type} ${rule.channel.url}`;

export const AlertsBody: FC<{ rules: RuleView[]; incidents: Incident[] }> = ({ rules, incidents }) => (
  <>
    <h2>Rules</h2>
    {rules.length === 0 ? (
      <p class="muted">No alert rules. Create them with POST /v1/alerts/rules (see the docs on observability).</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>Rule</th>
            <th>Function</th>
            <th>When</th>
            <th>Sends to</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {rules.map((rule) => (
            <tr>
              <td>
                {rule.name}
                <div class="muted mono">{rule.id}</div>
              </td>
              <td class="mono">{rule.functionId ?? "every function"}</td>
              <td>
                {when(rule)}
                <div class="muted">{`once per incident, reminded every ${String(rule.cooldown)} while it lasts`}</div>
              </td>
              <td class="mono">{where(rule)}</td>
              <td class="actions">
                <ActionButton action={`/dashboard/alerts/${rule.id}/test`} label="Send a test alert" kind="plain" />
                <ActionButton
                  action={`/dashboard/alerts/${rule.id}/delete`}
                  label="Delete"
                  kind="danger"
                  confirm={`Delete the alert rule "${rule.name}"?`}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    <h2>Incidents</h2>
    {incidents.length === 0 ? (
      <p class="muted">No alert has been raised.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>Last alert</th>
            <th>Rule</th>
            <th>State</th>
            <th>Opened</th>
            <th>Sent</th>
            <th class="num">Counted, not sent</th>
          </tr>
        </thead>
        <tbody>
          {incidents.map((incident) => (
            <tr>
              <td>
                {incident.lastTitle}
                {incident.lastError ? <div class="error">{`Not delivered: ${incident.lastError}`}</div> : null}
                {incident.nextRetryAt ? (
                  <div class="muted">
                    {"Retrying: next try "}
                    <Time at={incident.nextRetryAt} />
                  </div>
                ) : null}
              </td>
              <td class="mono">{incident.ruleId}</td>
              <td>
                {incident.resolvedAt ? (
                  <>
                    {"Resolved "}
                    <Time at={incident.resolvedAt} />
                  </>
                ) : (
                  <span class="badge">open</span>
                )}
              </td>
              <td>
                <Time at={incident.openedAt} />
              </td>
              <td>
                <Time at={incident.lastSentAt} />
              </td>
              <td class="num">{incident.suppressed}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </>
);
