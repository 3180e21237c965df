/**
 * Alerts end to end: `npm run dev` with alert rules whose channels are receivers on loopback (a
 * webhook checking its signature, a Slack-style hook, and a Resend-compatible email API set as the
 * deployment's provider). Two runs of analyze-document fail for good: the run_failed rules send
 * once (the second failure is counted in the incident), the failure-rate rule emails once, and a
 * test alert from the API arrives marked as a test.
 */
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, getJson, startDevServer, type DevServer } from "./dev-server.ts";
import { startReceiver, type Receiver } from "./receiver.ts";

const SECRET = "e2e-alert-webhook-secret";
let stateDir: string;
let server: DevServer;
let receiver: Receiver;
let receiverUrl: string;

beforeAll(async () => {
  receiver = await startReceiver('{"id":"email-1"}');
  receiverUrl = receiver.url;
  stateDir = mkdtempSync(join(tmpdir(), "stepwise-alerts-"));
  const port = await freePort();
  server = await startDevServer(stateDir, port, [
    ...["--var", `STEPWISE_EMAIL_API_URL:${receiverUrl}/emails`],
    ...["--var", "STEPWISE_EMAIL_API_KEY:re_test_key"],
    ...["--var", "STEPWISE_EMAIL_FROM:alerts@example.com"],
    ...["--var", `STEPWISE_PUBLIC_URL:http://127.0.0.1:${port}`],
  ]);
});

afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const api = async (path: string, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** Sends a document whose LLM step always fails, skips its backoffs, and waits for the run to fail. */
async function failedRun(documentId: string): Promise<string> {
  const sent = (await (
    await api("/v1/events", { name: "doc/uploaded", data: { documentId, failLlmTimes: 99 } })
  ).json()) as { ids: string[] };
  let runId = "";
  await expect
    .poll(
      async () => {
        const event = await getJson<{ runs: { id: string; status: string }[] }>(
          `${server.url}/v1/events/${sent.ids[0]}`,
        );
        runId = event.runs[0]?.id ?? "";
        if (runId && event.runs[0]?.status !== "failed") await api(`/v1/runs/${runId}/wake`, {});
        return event.runs[0]?.status;
      },
      { timeout: 60_000, interval: 300 },
    )
    .toBe("failed");
  return runId;
}

const at = (path: string) => receiver.received.filter((r) => r.path === path);

describe("alerts", () => {
  it("sends each incident once to a signed webhook, Slack and email, and a test alert on demand", async () => {
    const rule = async (body: Record<string, unknown>) =>
      ((await (await api("/v1/alerts/rules", body)).json()) as { id: string }).id;
    const hook = await rule({
      kind: "run_failed",
      name: "documents failing",
      functionId: "analyze-document",
      channel: { type: "webhook", url: `${receiverUrl}/webhook`, secret: SECRET },
    });
    await rule({ kind: "run_failed", name: "to slack", channel: { type: "slack", url: `${receiverUrl}/slack` } });
    await rule({
      kind: "failure_rate",
      name: "failure rate",
      functionId: "analyze-document",
      threshold: 50,
      minRuns: 1,
      window: "1h",
      channel: { type: "email", to: ["oncall@example.com"] },
    });

    const first = await failedRun("alert-1");
    await expect.poll(() => at("/webhook").length, { timeout: 15_000 }).toBe(1);
    await failedRun("alert-2");
    await expect.poll(() => at("/emails").length, { timeout: 15_000 }).toBe(1);
    await expect
      .poll(async () => {
        const { incidents } = (await (await api("/v1/alerts/incidents")).json()) as {
          incidents: { ruleId: string; suppressed: number }[];
        };
        return incidents.find((incident) => incident.ruleId === hook)?.suppressed;
      })
      .toBe(1);
    expect(at("/webhook")).toHaveLength(1);
    expect(at("/slack")).toHaveLength(1);

    const [webhook] = at("/webhook");
    const signature = String(webhook!.headers["x-stepwise-signature"]);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
    expect(v1).toBe(createHmac("sha256", SECRET).update(`${t}.${webhook!.text}`).digest("hex"));
    expect(Math.abs(Number(t) - Date.now() / 1_000)).toBeLessThan(120);
    const alert = JSON.parse(webhook!.text) as Record<string, unknown>;
    expect(alert).toMatchObject({
      rule: { id: hook, name: "documents failing", kind: "run_failed" },
      functionId: "analyze-document",
      title: "analyze-document: a run failed",
      runId: first,
      runUrl: `${server.url}/dashboard/runs/${first}`,
    });
    expect(String(alert.text)).toContain("LLM unavailable");

    expect(JSON.parse(at("/slack")[0]!.text)).toEqual({ text: expect.stringContaining("a run failed") });
    const [email] = at("/emails");
    expect(email!.headers.authorization).toBe("Bearer re_test_key");
    expect(JSON.parse(email!.text)).toMatchObject({
      from: "alerts@example.com",
      to: ["oncall@example.com"],
      subject: expect.stringMatching(/^analyze-document: 100\.0% of runs failed in the last 1h$/),
    });

    expect(await (await api(`/v1/alerts/rules/${hook}/test`, {})).json()).toEqual({ id: hook, sent: true });
    expect(at("/webhook")).toHaveLength(2);
    expect(JSON.parse(at("/webhook")[1]!.text)).toMatchObject({ test: true, rule: { id: hook } });
  });
});
