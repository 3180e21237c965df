/**
 * `/v1/alerts`: alert rules (list, create, delete, send a test alert) and their incidents.
 */
import { Hono } from "hono";
import { alertRuleInputSchema, MAX_ALERT_RULES } from "../../sdk/alerts.ts";
import type { Env } from "../core/env.ts";
import { readIncidents } from "../core/alerts/incidents.ts";
import { unsafeChannel } from "../core/alerts/deliver.ts";
import { sendTestAlert } from "../core/alerts/raise.ts";
import { addRule, deleteRule, readRules, ruleView } from "../core/alerts/rules.ts";
import { readBody } from "./body.ts";
import { errorResponse } from "./errors.ts";

export const alertsApi = new Hono<{ Bindings: Env }>()
  .get("/rules", async (c) => c.json({ rules: (await readRules(c.env.DB, true)).map(ruleView) }))
  .post("/rules", async (c) => {
    const body = await readBody(c, alertRuleInputSchema);
    if (!body.ok) return body.response;
    const unsafe = unsafeChannel(c.env, body.value.channel);
    if (unsafe)
      return errorResponse(c, 400, "invalid_request", "The rule's channel is refused", [
        { code: "custom", path: ["channel", "url"], message: unsafe, input: body.value.channel },
      ]);
    const rule = await addRule(c.env.DB, body.value);
    if (!rule)
      return errorResponse(
        c,
        409,
        "too_many_alert_rules",
        `A deployment may have at most ${MAX_ALERT_RULES} alert rules`,
      );
    return c.json(ruleView(rule), 201);
  })
  .delete("/rules/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await deleteRule(c.env.DB, id)))
      return errorResponse(c, 404, "alert_rule_not_found", `No alert rule "${id}"`);
    return c.json({ id, deleted: true });
  })
  .post("/rules/:id/test", async (c) => {
    const id = c.req.param("id");
    const rule = (await readRules(c.env.DB, true)).find((r) => r.id === id);
    if (!rule) return errorResponse(c, 404, "alert_rule_not_found", `No alert rule "${id}"`);
    try {
      await sendTestAlert(c.env, rule);
      return c.json({ id, sent: true });
    } catch (error) {
      return errorResponse(c, 502, "alert_not_delivered", error instanceof Error ? error.message : String(error));
    }
  })
  .get("/incidents", async (c) => c.json({ incidents: await readIncidents(c.env.DB) }));
