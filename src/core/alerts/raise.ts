/**
 * When alerts are raised: a run failing after its last attempt checks its function's rules
 * (`run_failed`, and `failure_rate` over the rule's window from the run index), and each alert
 * due goes out once per incident (incidents.ts). Delivery failures are logged, kept with the
 * incident and retried (outbox.ts), never thrown at the run.
 */
import type { AlertPayload } from "../../../sdk/alerts.ts";
import { toMs } from "../../../sdk/duration.ts";
import type { SerializedError } from "../../../sdk/protocol.ts";
import type { Env } from "../env.ts";
import { newId } from "../lib/ids.ts";
import { deliver } from "./deliver.ts";
import { failureRate, percent } from "./failure-rate.ts";
import { claimAlert } from "./incidents.ts";
import { sendIncidentMessage } from "./outbox.ts";
import { readRules, type AlertRule } from "./rules.ts";

export type Raised = Pick<AlertPayload, "title" | "text" | "runId" | "runUrl">;

/** The payload of `rule`'s alert about `functionId`. */
export function payload(rule: AlertRule, functionId: string, raised: Raised, now: number): AlertPayload {
  return {
    id: `alt_${newId()}`,
    rule: { id: rule.id, name: rule.name, kind: rule.kind },
    functionId,
    at: new Date(now).toISOString(),
    ...raised,
  };
}

/** Sends `rule`'s alert about `functionId` unless its incident is in its cooldown. Answers whether it went out. */
export async function raise(
  env: Env,
  rule: AlertRule,
  functionId: string,
  raised: Raised,
  now: number,
): Promise<boolean> {
  const claim = await claimAlert(env.DB, rule.id, functionId, raised.title, toMs(rule.cooldown), now);
  if (!claim.send) return false;
  const alert = {
    ...payload(rule, functionId, raised, now),
    ...(claim.suppressed ? { suppressed: claim.suppressed } : {}),
  };
  return sendIncidentMessage(env, rule, "alert", alert, now);
}

/** Sends a test alert through `rule`'s channel at once (no incident); throws with why it failed. */
export async function sendTestAlert(env: Env, rule: AlertRule, now = Date.now()): Promise<void> {
  const title = `Test alert from rule "${rule.name}"`;
  const text = "If you can read this, the rule's channel works.";
  await deliver(env, rule.channel, { ...payload(rule, rule.functionId ?? "*", { title, text }, now), test: true }, now);
}

/** A run's dashboard page, when STEPWISE_PUBLIC_URL says where the dashboard is. */
export function runLink(env: Env, runId: string): { runUrl?: string } {
  const base = env.STEPWISE_PUBLIC_URL?.replace(/\/+$/, "");
  return base ? { runUrl: `${base}/dashboard/runs/${encodeURIComponent(runId)}` } : {};
}

/** The rules of `kind` that cover `functionId` (a rule without one covers every function); no `functionId`: all of them. */
export async function rulesFor<K extends AlertRule["kind"]>(
  env: Env,
  kind: K,
  functionId?: string,
): Promise<Extract<AlertRule, { kind: K }>[]> {
  return (await readRules(env.DB)).filter(
    (rule): rule is Extract<AlertRule, { kind: K }> =>
      rule.kind === kind &&
      (functionId === undefined || rule.functionId === undefined || rule.functionId === functionId),
  );
}

/** How long an isolate goes without reading a failure_rate rule's rate for one function again once it was over. */
const RATE_REREAD_MS = 10_000;
/** When this isolate last found each (rule, function)'s rate over its threshold; the oldest go past 1,000. */
const overAt = new Map<string, number>();

/** A run of `functionId` failed after its last attempt: the alerts its rules raise. */
export async function alertRunFailed(
  env: Env,
  run: { runId: string; functionId: string; error?: SerializedError | undefined },
  now = Date.now(),
): Promise<void> {
  const rules = (await readRules(env.DB)).filter(
    (rule) => rule.functionId === undefined || rule.functionId === run.functionId,
  );
  if (rules.length === 0) return;
  const failedText = `Run ${run.runId} failed after its last attempt${run.error ? `: ${run.error.name}: ${run.error.message.slice(0, 500)}` : ""}`;
  await Promise.all(
    rules.map(async (rule) => {
      if (rule.kind === "run_failed")
        return raise(
          env,
          rule,
          run.functionId,
          { title: `${run.functionId}: a run failed`, text: failedText, runId: run.runId, ...runLink(env, run.runId) },
          now,
        );
      if (rule.kind !== "failure_rate") return false;
      // In a storm of failures over the threshold, one reading per rule, function and isolate every
      // 10 s: the alert is out (or counted) already. A reading under it is never reused, so the
      // failure that tips the rate over is always read.
      const key = `${rule.id}\n${run.functionId}`;
      if (now - (overAt.get(key) ?? Number.NEGATIVE_INFINITY) < RATE_REREAD_MS) return false;
      const rate = await failureRate(env, rule, run.functionId, now);
      if (!rate.over) return false;
      overAt.set(key, now);
      if (overAt.size > 1_000) overAt.delete(overAt.keys().next().value!);
      const title = `${run.functionId}: ${percent(rate.rate)} of runs failed in the last ${String(rule.window)}`;
      const text = `${rate.failed} of ${rate.ended} ended runs failed (the rule's threshold is ${rule.threshold}%). Latest: ${failedText}`;
      return raise(env, rule, run.functionId, { title, text, runId: run.runId, ...runLink(env, run.runId) }, now);
    }),
  );
}
