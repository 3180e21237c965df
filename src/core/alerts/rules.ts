/**
 * Alert rules in D1 (`alert_rules`), and each isolate's copy of them: a run that fails looks its
 * rules up here without reading D1 more than once every {@link RULES_TTL_MS}.
 */
import { z } from "zod";
import { alertRuleInputSchema, MAX_ALERT_RULES, type AlertRuleSpec } from "../../../sdk/alerts.ts";
import { newId } from "../lib/ids.ts";

/** How long an isolate trusts its copy of the rules. */
export const RULES_TTL_MS = 30_000;

/** A stored rule. */
export type AlertRule = AlertRuleSpec & { id: string; createdAt: number };

const rowSchema = z.object({ id: z.string(), spec: z.string(), created_at: z.number() });

let copy: { at: number; rules: AlertRule[] } | undefined;

/** Every rule, oldest first; a database whose migration has not run yet has none. */
export async function readRules(db: D1Database, fresh = false): Promise<AlertRule[]> {
  if (!fresh && copy && Date.now() - copy.at < RULES_TTL_MS) return copy.rules;
  const { results } = await db
    .prepare("SELECT id, spec, created_at FROM alert_rules ORDER BY created_at, id")
    .all()
    .catch((error: unknown) => {
      if (String(error).includes("no such table")) return { results: [] };
      throw error;
    });
  const rules = results.flatMap((raw) => {
    const row = rowSchema.parse(raw);
    let stored: unknown;
    try {
      stored = JSON.parse(row.spec);
    } catch {
      stored = undefined;
    }
    const spec = alertRuleInputSchema.safeParse(stored);
    if (!spec.success) {
      console.error(`stepwise: alert rule ${row.id} no longer validates; it is skipped`);
      return [];
    }
    return [{ ...spec.data, id: row.id, createdAt: row.created_at }];
  });
  copy = { at: Date.now(), rules };
  return rules;
}

/** Adds a rule; undefined when there are {@link MAX_ALERT_RULES} already. */
export async function addRule(db: D1Database, spec: AlertRuleSpec): Promise<AlertRule | undefined> {
  if ((await readRules(db, true)).length >= MAX_ALERT_RULES) return undefined;
  const rule: AlertRule = { ...spec, id: `alr_${newId()}`, createdAt: Date.now() };
  await db
    .prepare("INSERT INTO alert_rules (id, spec, created_at) VALUES (?1, ?2, ?3)")
    .bind(rule.id, JSON.stringify(spec), rule.createdAt)
    .run();
  copy = undefined;
  return rule;
}

/** Deletes a rule and its incidents; false when there was none. */
export async function deleteRule(db: D1Database, id: string): Promise<boolean> {
  const [deleted] = await db.batch([
    db.prepare("DELETE FROM alert_rules WHERE id = ?1").bind(id),
    db.prepare("DELETE FROM alert_incidents WHERE rule_id = ?1").bind(id),
  ]);
  copy = undefined;
  return (deleted?.meta.changes ?? 0) > 0;
}

/** A URL shown without its path and query: a Slack webhook's path is its credential. */
const shownUrl = (url: string): string => `${new URL(url).origin}/…`;

/** A rule as callers see it: a webhook's secret and its URL's path are never shown. */
export function ruleView(rule: AlertRule) {
  const { channel: kept } = rule;
  const channel =
    kept.type === "webhook"
      ? { type: "webhook" as const, url: shownUrl(kept.url), signed: true }
      : kept.type === "slack"
        ? { type: "slack" as const, url: shownUrl(kept.url) }
        : kept;
  return { ...rule, channel, createdAt: new Date(rule.createdAt).toISOString() };
}
