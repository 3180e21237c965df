/**
 * Alert deliveries over real HTTP to a receiver on loopback (test/e2e/receiver.ts):
 * a channel that fails for a while gets the alert on a retry, with the same id and a fresh
 * signature; one that refuses is not retried; one down for a day is given up. Incidents end when
 * their condition clears, once, with a "Resolved" notice, and the next alert opens a new one.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { alertPayloadSchema } from "../sdk/alerts.ts";
import { hmacHex } from "../sdk/signing.ts";
import { INLINE_PAUSES_MS, retryDeliveries, RETRY_FOR_MS } from "../src/core/alerts/outbox.ts";
import { raise } from "../src/core/alerts/raise.ts";
import { resolveIncidents } from "../src/core/alerts/resolve.ts";
import { readRules } from "../src/core/alerts/rules.ts";

const SECRET = "alert-deliveries-secret-0123456789";

interface Kept {
  status: number;
  headers: Record<string, string>;
  text: string;
}
const received = async (hook: string): Promise<Kept[]> =>
  (await fetch(`${env.ALERT_RECEIVER_URL}/received?path=/hook/${hook}`)).json();

/** A run_failed rule (cooldown 1 min) whose webhook is `hook` on the receiver, with its query. */
async function ruleTo(hook: string, query = "") {
  const response = await SELF.fetch("http://stepwise/v1/alerts/rules", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      kind: "run_failed",
      name: hook,
      functionId: `fn-${hook}`,
      cooldown: "1m",
      channel: { type: "webhook", url: `${env.ALERT_RECEIVER_URL}/hook/${hook}${query}`, secret: SECRET },
    }),
  });
  expect(response.status).toBe(201);
  const { id } = (await response.json()) as { id: string };
  return (await readRules(env.DB, true)).find((rule) => rule.id === id)!;
}

const outbox = async (ruleId: string) =>
  (
    await env.DB.prepare("SELECT kind, attempts, next_attempt_at, last_error FROM alert_deliveries WHERE rule_id = ?1")
      .bind(ruleId)
      .all<{ kind: string; attempts: number; next_attempt_at: number; last_error: string }>()
  ).results;

const incidentOf = async (ruleId: string) =>
  (
    (await (await SELF.fetch("http://stepwise/v1/alerts/incidents")).json()) as {
      incidents: { ruleId: string; resolvedAt: string | null; lastError: string | null; retrying: number }[];
    }
  ).incidents.find((incident) => incident.ruleId === ruleId);

const dashboard = async () => (await SELF.fetch("http://stepwise/dashboard/alerts")).text();

const failed = (fn: string) => ({ title: `${fn}: a run failed`, text: "Run r-1 failed", runId: "r-1" });

describe("alert deliveries", () => {
  it("a channel failing for a while gets the alert on a retry from the outbox, same id, signed afresh", async () => {
    const rule = await ruleTo("flaky", "?fail=4");
    const now = Date.now();
    expect(await raise(env, rule, "fn-flaky", failed("fn-flaky"), now)).toBe(false);
    // Tried at once and twice more, then kept for the tick.
    expect((await received("flaky")).map((r) => r.status)).toEqual([503, 503, 503]);
    expect(await outbox(rule.id)).toEqual([
      {
        kind: "alert",
        attempts: INLINE_PAUSES_MS.length + 1,
        next_attempt_at: now + 60_000,
        last_error: expect.stringContaining("answered 503"),
      },
    ]);
    expect(await incidentOf(rule.id)).toMatchObject({ retrying: 1, lastError: expect.stringContaining("503") });
    expect(await dashboard()).toContain("Retrying: next try");

    // Not due yet; then due, and still failing: the pause doubles.
    expect(await retryDeliveries(env, now + 30_000)).toEqual({ sent: 0, givenUp: 0 });
    expect(await retryDeliveries(env, now + 60_000)).toEqual({ sent: 0, givenUp: 0 });
    expect((await outbox(rule.id))[0]).toMatchObject({ attempts: 4, next_attempt_at: now + 60_000 + 120_000 });
    expect(await retryDeliveries(env, now + 180_000)).toEqual({ sent: 1, givenUp: 0 });
    expect(await outbox(rule.id)).toEqual([]);
    expect(await incidentOf(rule.id)).toMatchObject({ retrying: 0, lastError: null });

    const got = await received("flaky");
    expect(got.map((r) => r.status)).toEqual([503, 503, 503, 503, 200]);
    const ids = got.map((r) => alertPayloadSchema.parse(JSON.parse(r.text)).id);
    expect(new Set(ids).size).toBe(1);
    const delivered = got[4]!;
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(delivered.headers["x-stepwise-signature"] ?? "") ?? [];
    expect(v1).toBe(await hmacHex(SECRET, `${t}.${delivered.text}`));
  });

  it("a row that cannot be read is dropped, and the rows after it still go out", async () => {
    const rule = await ruleTo("after-bad", "?fail=3");
    const now = Date.now();
    await raise(env, rule, "fn-after-bad", failed("fn-after-bad"), now);
    await env.DB.prepare(
      `INSERT INTO alert_deliveries (rule_id, subject, kind, payload, attempts, next_attempt_at, expires_at, last_error)
       VALUES (?1, 'fn-broken', 'alert', '{not json', 3, ?2, ?3, 'x')`,
    )
      .bind(rule.id, now - 1, now + RETRY_FOR_MS)
      .run();
    expect(await retryDeliveries(env, now + 60_000)).toMatchObject({ sent: 1 });
    expect(await outbox(rule.id)).toEqual([]);
  });

  it("a channel that refuses (400) is not retried, and says why", async () => {
    const rule = await ruleTo("refusing", "?fail=99&status=400");
    expect(await raise(env, rule, "fn-refusing", failed("fn-refusing"), Date.now())).toBe(false);
    expect((await received("refusing")).map((r) => r.status)).toEqual([400]);
    expect(await outbox(rule.id)).toEqual([]);
    expect(await incidentOf(rule.id)).toMatchObject({ lastError: expect.stringContaining("answered 400") });
  });

  it("a channel down for a day is given up, and the incident says so", async () => {
    const rule = await ruleTo("down", "?fail=99");
    const now = Date.now();
    await raise(env, rule, "fn-down", failed("fn-down"), now);
    expect(await retryDeliveries(env, now + RETRY_FOR_MS)).toEqual({ sent: 0, givenUp: 1 });
    expect(await outbox(rule.id)).toEqual([]);
    expect(await incidentOf(rule.id)).toMatchObject({
      retrying: 0,
      lastError: expect.stringMatching(/^given up after 4 attempts: .*answered 503/),
    });
  });

  it("an incident quiet for its cooldown is resolved once, with a notice; the next alert opens a new one", async () => {
    const rule = await ruleTo("resolving");
    const now = Date.now();
    expect(await raise(env, rule, "fn-resolving", failed("fn-resolving"), now)).toBe(true);
    expect(await raise(env, rule, "fn-resolving", failed("fn-resolving"), now + 1_000)).toBe(false);
    // Within the cooldown of the last failure it stays open.
    await resolveIncidents(env, new Map(), now + 50_000);
    expect(await incidentOf(rule.id)).toMatchObject({ resolvedAt: null });
    expect(await resolveIncidents(env, new Map(), now + 62_000)).toBeGreaterThanOrEqual(1);
    await resolveIncidents(env, new Map(), now + 63_000);
    expect((await incidentOf(rule.id))?.resolvedAt).toBe(new Date(now + 62_000).toISOString());
    expect(await received("resolving")).toHaveLength(2);
    expect(await dashboard()).toContain("Resolved <time datetime=");

    const [alert, notice] = (await received("resolving")).map((r) => alertPayloadSchema.parse(JSON.parse(r.text)));
    expect(alert).toMatchObject({ title: "fn-resolving: a run failed" });
    expect(notice).toMatchObject({
      resolved: true,
      title: "Resolved: fn-resolving: a run failed",
      functionId: "fn-resolving",
      openedAt: new Date(now).toISOString(),
      suppressed: 1,
      text: expect.stringContaining("No run failed for 1m"),
    });
    // A failure a moment later is a new incident: sent at once, though within the last one's cooldown.
    expect(await raise(env, rule, "fn-resolving", failed("fn-resolving"), now + 64_000)).toBe(true);
    expect(await incidentOf(rule.id)).toMatchObject({ resolvedAt: null });
    expect(await received("resolving")).toHaveLength(3);
  });
});
