import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { effectsFor } from "../examples/effects.ts";
import { inFlight } from "../examples/process-items.ts";
import { client } from "./helpers.ts";

const kinds = (key: string): string[] => effectsFor(key).map((effect) => effect.kind);

describe("examples, end to end through the HTTP API", () => {
  it("onboard-user sleeps three days (skipped) and sends each email once", async () => {
    const runId = await client.invoke("onboard-user", { userId: "u1", email: "u1@example.com" });
    const asleep = await client.waitUntil(runId, (run) => run.status === "sleeping");
    expect(asleep.steps.map((step) => [step.id, step.status])).toEqual([
      ["create-workspace", "completed"],
      ["send-welcome-email", "completed"],
      ["wait-before-follow-up", "sleeping"],
    ]);
    const wakeAt = Date.parse(asleep.nextWakeAt ?? "");
    expect(wakeAt - Date.now()).toBeGreaterThan(3 * 86_400_000 - 60_000);
    expect(kinds("u1")).toEqual(["workspace.created", "email.welcome"]);

    const done = await client.waitForEnd(runId, { skipTime: true });
    expect(done.status).toBe("completed");
    expect(done.output).toEqual({ userId: "u1", workspaceId: "ws_u1" });
    expect(kinds("u1")).toEqual(["workspace.created", "email.welcome", "email.follow-up"]);
  });

  it("approve-expense emails a token link; POSTing a decision to it pays once, and a second POST is refused", async () => {
    const runId = await client.invoke("approve-expense", {
      expenseId: "x1",
      amount: 120,
      approver: "boss@example.com",
    });
    await client.waitUntil(runId, (run) => run.status === "waiting");
    const [email] = effectsFor("x1");
    const link = (email?.detail as { link: string }).link;
    const post = () =>
      SELF.fetch(new URL(link, "http://stepwise"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ approved: true }),
      });
    expect((await post()).status).toBe(200);
    expect((await client.waitForEnd(runId)).output).toEqual({ expenseId: "x1", outcome: "paid" });
    expect((await post()).status).toBe(409);
    expect(kinds("x1")).toEqual(["email.approval-request", "expense.paid"]);
  });

  it("analyze-document retries only the LLM step", async () => {
    const run = await client.run("analyze-document", {
      documentId: "d1",
      text: "Quarterly results were strong",
      failLlmTimes: 2,
    });
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ documentId: "d1", summary: "Quarterly results were strong (4 words)" });
    expect(kinds("d1")).toEqual(["text.extracted", "llm.called", "llm.called", "llm.called", "result.saved"]);
    const llm = run.steps.find((step) => step.id === "call-llm");
    expect(llm?.attempts).toBe(3);
  });

  it("onboarding-retry-policy gives up after 3 attempts of an activity", async () => {
    const ok = await client.run("onboarding-retry-policy", { userId: "p1", failures: { "provision-storage": 2 } });
    expect(ok.status).toBe("completed");
    expect(ok.steps.map((step) => step.attempts)).toEqual([1, 3, 1]);

    const failed = await client.run("onboarding-retry-policy", { userId: "p2", failures: { "notify-crm": 3 } });
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toContain('Step "notify-crm" failed');
    expect(kinds("p2").filter((kind) => kind === "activity.notify-crm")).toHaveLength(3);
  });

  it(
    "process-items: 1,000 items, each its own parallel step, never more than 100 at once",
    { timeout: 120_000 },
    async () => {
      const itemIds = Array.from({ length: 1_000 }, (_, i) => `item-${i}`);
      const runId = await client.invoke("process-items", { itemIds });
      const run = await client.waitForEnd(runId, { timeoutMs: 110_000 });
      expect(run.status).toBe("completed");
      expect(run.output).toEqual({ processed: 1_000 });
      expect(itemIds.every((id) => kinds(id).length === 1)).toBe(true);
      expect(inFlight.max).toBeLessThanOrEqual(100);
      expect(inFlight.max).toBeGreaterThan(10);
    },
  );
});
