/**
 * The alerts page and its actions (send a test alert, delete a rule), through the same code as
 * `/v1/alerts`.
 */
import { Hono, type Context } from "hono";
import type { Env } from "../../core/env.ts";
import { readIncidents } from "../../core/alerts/incidents.ts";
import { sendTestAlert } from "../../core/alerts/raise.ts";
import { deleteRule, readRules, ruleView } from "../../core/alerts/rules.ts";
import { Notice } from "../components.tsx";
import { page } from "../layout.tsx";
import { AlertsBody } from "../pages/alerts.tsx";
import { LIST_REFRESH_MS, problemPage } from "./pages.tsx";

const NOTICES: Record<string, string> = { tested: "Test alert sent.", deleted: "Alert rule deleted." };

async function alertsPage(c: Context<{ Bindings: Env }>, notice?: { text: string; error: boolean }) {
  const [rules, incidents] = await Promise.all([readRules(c.env.DB, true), readIncidents(c.env.DB)]);
  const head = (
    <>
      <h1>Alerts</h1>
      <Notice text={notice?.text} error={notice?.error ?? false} />
    </>
  );
  return page(
    c,
    { title: "Alerts", section: "alerts", poll: LIST_REFRESH_MS, head },
    <AlertsBody rules={rules.map(ruleView)} incidents={incidents} />,
    notice?.error ? 502 : 200,
  );
}

export const alertRoutes = new Hono<{ Bindings: Env }>()
  .get("/alerts", (c) => {
    const text = NOTICES[c.req.query("done") ?? ""];
    return alertsPage(c, text ? { text, error: false } : undefined);
  })
  .post("/alerts/:id/:action{test|delete}", async (c) => {
    const id = c.req.param("id");
    const rule = (await readRules(c.env.DB, true)).find((r) => r.id === id);
    if (!rule) return problemPage(c, 404, "No such alert rule", `No alert rule "${id}"`);
    if (c.req.param("action") === "delete") {
      await deleteRule(c.env.DB, id);
      return c.redirect("/dashboard/alerts?done=deleted", 303);
    }
    try {
      await sendTestAlert(c.env, rule);
      return c.redirect("/dashboard/alerts?done=tested", 303);
    } catch (error) {
      return alertsPage(c, {
        text: `The test alert was not delivered: ${error instanceof Error ? error.message : String(error)}`,
        error: true,
      });
    }
  });
