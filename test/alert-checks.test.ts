/**
 * The alerts not raised by a failing run: a cron tick started late, events not routed, a run
 * waiting too long for a concurrency slot. Each opens an incident (delivery fails here, to a port
 * nothing listens on, and the incident says so; delivery itself is tested in test/e2e/alerts.test.ts).
 */
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Schedule } from "../durable-objects/schedule/cron-plan.ts";
import { checkAlertsOnTick } from "../src/core/alerts/checks.ts";
import { cronScheduler, eventShard } from "../src/core/objects.ts";
import { client, runFor } from "./helpers.ts";

const DEAD_END = { type: "slack", url: "http://127.0.0.1:9/hook" };

const rule = async (body: Record<string, unknown>) => {
  const response = await SELF.fetch("http://stepwise/v1/alerts/rules", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: String(body.kind), channel: DEAD_END, ...body }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
};

const incidentOf = async (ruleId: string) =>
  (
    (await (await SELF.fetch("http://stepwise/v1/alerts/incidents")).json()) as {
      incidents: {
        ruleId: string;
        functionId: string;
        lastTitle: string;
        lastError: string | null;
        resolvedAt: string | null;
      }[];
    }
  ).incidents.find((incident) => incident.ruleId === ruleId);

describe("alert checks", () => {
  it("a cron tick started late raises cron_missed, naming how late", async () => {
    const ruleId = await rule({ kind: "cron_missed", functionId: "test-pausable-cron", tolerance: "10m" });
    const target = { functionId: "test-pausable-cron", cron: "0 6 * * *" };
    const scheduler = cronScheduler(env, target);
    await scheduler.ensure(target);
    const due = Date.now() - 2 * 3_600_000;
    await runInDurableObject(scheduler, async (_instance, state) => {
      const stored = (await state.storage.get<Schedule>("schedule"))!;
      await state.storage.put("schedule", { ...stored, nextTick: due });
      await state.storage.setAlarm(due);
    });
    await runDurableObjectAlarm(scheduler);
    await expect
      .poll(() => incidentOf(ruleId))
      .toMatchObject({
        functionId: "test-pausable-cron",
        lastTitle: "test-pausable-cron: a cron tick ran 120 minute(s) late",
        lastError: expect.stringContaining("could not reach 127.0.0.1:9"),
      });
  });

  it("events waiting to be routed past the threshold raise events_unrouted", async () => {
    const ruleId = await rule({ kind: "events_unrouted", threshold: 0 });
    // Recorded in its shard but never routed (as if the Worker stopped before routing it).
    const id = `unrouted-${crypto.randomUUID()}`;
    await eventShard(env, 0).record({
      events: [{ id, name: "test/nobody", data: {}, ts: Date.now() }],
      receivedAt: Date.now(),
    });
    await checkAlertsOnTick(env);
    expect(await incidentOf(ruleId)).toMatchObject({
      functionId: "*",
      lastTitle: expect.stringContaining("wait to be routed"),
    });
  });

  it("a run queued for a slot longer than allowed raises slot_wait, naming the longest", async () => {
    const ruleId = await rule({ kind: "slot_wait", functionId: "solo", longerThan: "15m" });
    const limiter = env.LIMITS.get(env.LIMITS.idFromName(JSON.stringify(["solo", 0, ""])));
    expect(await limiter.acquire({ runId: "holder-run", stepIds: ["work"], key: "", limit: 1 })).toEqual(["work"]);
    const response = await SELF.fetch("http://stepwise/v1/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "test/solo", data: { key: crypto.randomUUID() } }),
    });
    const [eventId = ""] = ((await response.json()) as { ids: string[] }).ids;
    const runId = await runFor(eventId, "solo");
    await client.waitUntil(runId, (run) => run.status === "queued" && run.queuedReason !== undefined);
    await expect
      .poll(async () =>
        (
          (await (await SELF.fetch("http://stepwise/v1/runs?function=solo&status=queued")).json()) as {
            runs: { id: string }[];
          }
        ).runs.map((r) => r.id),
      )
      .toContain(runId);
    // Not yet: it has waited seconds. An hour on, it has waited too long.
    await checkAlertsOnTick(env);
    expect(await incidentOf(ruleId)).toBeUndefined();
    await checkAlertsOnTick(env, Date.now() + 3_600_000);
    expect(await incidentOf(ruleId)).toMatchObject({
      functionId: "solo",
      lastTitle: "solo: 1 run(s) waited over 15m for a concurrency slot",
    });
    await runInDurableObject(limiter, async (_instance, state) => {
      state.storage.sql.exec("UPDATE holders SET expires_at = ?", Date.now() - 1);
    });
    await runDurableObjectAlarm(limiter);
    expect((await client.waitForEnd(runId)).status).toBe("completed");
    // Nothing waits any more: the next tick ends the incident.
    await checkAlertsOnTick(env, Date.now() + 3_600_000);
    expect(await incidentOf(ruleId)).toMatchObject({ resolvedAt: expect.any(String) });
  });

  it("refuses a deployment-wide kind given a function", async () => {
    const refused = await SELF.fetch("http://stepwise/v1/alerts/rules", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "events_unrouted", name: "x", functionId: "solo", channel: DEAD_END }),
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain("functionId");
  });
});
