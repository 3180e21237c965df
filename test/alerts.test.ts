/**
 * Alert rules over the API, and incidents in D1: an alert goes out once per incident, its
 * followers counted until the cooldown has passed. Delivery itself is tested end to end against
 * receivers on loopback (test/e2e/alerts.test.ts).
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import worker from "./worker.ts";
import { describe, expect, it } from "vitest";
import { claimAlert } from "../src/core/alerts/incidents.ts";

const call = (method: string, path: string, body?: unknown) =>
  SELF.fetch(`http://stepwise/v1/alerts${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe("alert rules", () => {
  it("are created, listed without their secrets, and deleted", async () => {
    const created = await call("POST", "/rules", {
      kind: "run_failed",
      name: "payments failing",
      functionId: "test-parallel",
      channel: { type: "webhook", url: "https://hooks.example.com/stepwise", secret: "s".repeat(32) },
    });
    expect(created.status).toBe(201);
    const rule = (await created.json()) as { id: string; cooldown: string; channel: Record<string, unknown> };
    // Neither the secret nor the URL's path (a Slack webhook's path is its credential) is shown.
    expect(rule).toMatchObject({
      cooldown: "10m",
      channel: { type: "webhook", url: "https://hooks.example.com/…", signed: true },
    });
    expect(JSON.stringify(rule)).not.toContain("sssssssssss");
    const listed = (await (await call("GET", "/rules")).json()) as { rules: { id: string }[] };
    expect(listed.rules.map((r) => r.id)).toContain(rule.id);
    expect(JSON.stringify(listed)).not.toContain("sssssssssss");
    expect(await (await call("DELETE", `/rules/${rule.id}`)).json()).toEqual({ id: rule.id, deleted: true });
    expect((await call("DELETE", `/rules/${rule.id}`)).status).toBe(404);
    expect((await call("POST", `/rules/${rule.id}/test`)).status).toBe(404);
  });

  it("refuses malformed rules with the issues", async () => {
    for (const [body, says] of [
      [
        { kind: "run_failed", name: "x", channel: { type: "webhook", url: "https://a.example", secret: "short" } },
        "secret",
      ],
      [{ kind: "run_failed", name: "x", channel: { type: "slack", url: "ftp://a.example" } }, "url"],
      [{ kind: "failure_rate", name: "x", channel: { type: "email", to: ["ops@example.com"] } }, "threshold"],
      [
        { kind: "failure_rate", name: "x", threshold: 150, channel: { type: "email", to: ["ops@example.com"] } },
        "threshold",
      ],
      [
        { kind: "run_failed", name: "x", cooldown: "5s", channel: { type: "email", to: ["ops@example.com"] } },
        "a minute",
      ],
      [{ kind: "run_failed", name: "x", channel: { type: "email", to: ["not an email"] } }, "to"],
      [{ kind: "page_me", name: "x", channel: { type: "slack", url: "https://a.example" } }, "kind"],
    ] as const) {
      const refused = await call("POST", "/rules", body);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await refused.json())).toContain(says);
    }
  });

  it("outside development, refuse a channel that is not https:// to a public address", async () => {
    const production = { ...env, STEPWISE_ENV: "production", STEPWISE_API_KEYS: "alerts-key" };
    const post = async (url: string) => {
      const ctx = createExecutionContext();
      const response = await worker.fetch(
        new Request<unknown, IncomingRequestCfProperties>("http://stepwise/v1/alerts/rules", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer alerts-key" },
          body: JSON.stringify({ kind: "run_failed", name: "probe", channel: { type: "slack", url } }),
        }),
        production,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return response;
    };
    for (const [url, says] of [
      ["http://hooks.example.com/x", "https://"],
      ["https://10.0.0.5/hook", "not a public address"],
      ["https://169.254.169.254/latest/meta-data", "not a public address"],
      ["https://metadata.internal/hook", "local name"],
    ] as const) {
      const refused = await post(url);
      expect(refused.status, url).toBe(400);
      expect(JSON.stringify(await refused.json())).toContain(says);
    }
    const accepted = await post("https://hooks.slack.com/services/T0/B0/X");
    expect(accepted.status).toBe(201);
    await call("DELETE", `/rules/${((await accepted.json()) as { id: string }).id}`);
  });

  it("a test alert to a channel that cannot be reached says why (502)", async () => {
    const { id } = (await (
      await call("POST", "/rules", {
        kind: "run_failed",
        name: "unreachable",
        channel: { type: "slack", url: "http://127.0.0.1:9/hook" },
      })
    ).json()) as { id: string };
    const sent = await call("POST", `/rules/${id}/test`);
    expect(sent.status).toBe(502);
    expect(await sent.json()).toMatchObject({ error: { code: "alert_not_delivered" } });
    await call("DELETE", `/rules/${id}`);
  });
});

describe("the alerts page", () => {
  it("lists rules with their channel, and sends a test alert or says why it could not", async () => {
    const { id } = (await (
      await call("POST", "/rules", {
        kind: "failure_rate",
        name: "imports degrading",
        threshold: 20,
        channel: { type: "slack", url: "http://127.0.0.1:9/hook" },
      })
    ).json()) as { id: string };
    const html = await (await SELF.fetch("http://stepwise/dashboard/alerts")).text();
    expect(html).toContain("imports degrading");
    expect(html).toContain("over 20% of at least 10 ended runs failed in 15m");
    expect(html).toContain(`/dashboard/alerts/${id}/test`);
    const form = (action: string) =>
      SELF.fetch(`http://stepwise/dashboard/alerts/${id}/${action}`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://stepwise" },
      });
    const tested = await form("test");
    expect(tested.status).toBe(502);
    expect(await tested.text()).toContain("The test alert was not delivered: could not reach 127.0.0.1:9");
    expect((await form("delete")).headers.get("location")).toBe("/dashboard/alerts?done=deleted");
    expect((await form("delete")).status).toBe(404);
  });
});

describe("incidents", () => {
  it("send the first alert, count the rest during the cooldown, then send with the count", async () => {
    const rule = `alr_${crypto.randomUUID()}`;
    const at = 1_000_000;
    expect(await claimAlert(env.DB, rule, "fn", "first", 600_000, at)).toEqual({ send: true, suppressed: 0 });
    expect(await claimAlert(env.DB, rule, "fn", "again", 600_000, at)).toMatchObject({ send: false });
    expect(await claimAlert(env.DB, rule, "fn", "again", 600_000, at + 1_000)).toMatchObject({ send: false });
    expect(await claimAlert(env.DB, rule, "other-fn", "first", 600_000, at)).toMatchObject({ send: true });
    expect(await claimAlert(env.DB, rule, "fn", "later", 600_000, at + 600_000)).toEqual({ send: true, suppressed: 2 });
    expect(await claimAlert(env.DB, rule, "fn", "later", 600_000, at + 600_001)).toMatchObject({ send: false });
    // Ended, then raised again: a new incident, sent at once, counting nothing from the last one.
    await env.DB.prepare("UPDATE alert_incidents SET resolved_at = ?1 WHERE rule_id = ?2 AND subject = 'fn'")
      .bind(at + 700_000, rule)
      .run();
    expect(await claimAlert(env.DB, rule, "fn", "again", 600_000, at + 700_001)).toEqual({ send: true, suppressed: 0 });
  });
});
