import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, sendEvents } from "./helpers.ts";

const html = async (path: string) => (await SELF.fetch(`http://stepwise${path}`)).text();
const post = (path: string, fields: Record<string, string> = {}) =>
  SELF.fetch(`http://stepwise${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://stepwise" },
    body: new URLSearchParams(fields).toString(),
  });

describe("a dashboard that explains", () => {
  it("has a favicon, linked from every page", async () => {
    const icon = await SELF.fetch("http://stepwise/dashboard/assets/favicon.svg");
    expect(icon.headers.get("content-type")).toContain("image/svg+xml");
    expect(await icon.text()).toContain("<svg");
    expect(await html("/dashboard/functions")).toContain(
      'rel="icon" type="image/svg+xml" href="/dashboard/assets/favicon.svg"',
    );
  });

  it("says 1 retry, not 1 retries", async () => {
    const page = await html("/dashboard/functions");
    expect(page).not.toContain(">1 retries");
    expect(page).toContain(">1 retry<");
  });

  it("labels firing a wait's timer as a timeout, and asks first", async () => {
    const runId = await client.invoke("token-approval", {});
    await client.waitUntil(runId, (run) => run.status === "waiting");
    const page = await html(`/dashboard/runs/${runId}`);
    expect(page).toContain("Time out the wait");
    expect(page).toContain("End the wait now as if it timed out?");
    expect(page).not.toContain("Wake now");
  });

  it("links a send step to the events it sent", async () => {
    const [eventId = ""] = await sendEvents({ name: "test/send.start", data: { key: crypto.randomUUID() } });
    const [runId = ""] = await client.runsOf(eventId);
    const run = await client.waitForEnd(runId, { skipTime: true });
    const announce = (run.steps as { id: string; output?: { ids?: string[] } }[]).find(
      (step) => step.id === "announce",
    );
    const [sent = ""] = announce?.output?.ids ?? [];
    expect(sent).not.toBe("");
    expect(await html(`/dashboard/runs/${runId}`)).toContain(`href="/dashboard/events/${encodeURIComponent(sent)}"`);
  });

  it("pauses a function from its page, shows why on its held runs, and resumes it", async () => {
    const base = "/dashboard/functions/test-pausable";
    expect(await html(base)).toContain('value="paused"');
    const refused = await post(`${base}/pause`, { mode: "frozen" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("The pause form is invalid");

    const paused = await post(`${base}/pause`, { mode: "paused", reason: "migrating the database" });
    expect(paused.status).toBe(303);
    const page = await html(paused.headers.get("location")!);
    expect(page).toContain("Paused: new runs wait");
    expect(page).toContain("(migrating the database)");
    expect(page).toContain(">Resume</button>");
    expect(await html("/dashboard/functions")).toContain('class="badge s-paused"');

    const runId = await client.invoke("test-pausable", { key: "dashboard" });
    await client.waitUntil(runId, (run) => run.status === "paused");
    expect(await html(`/dashboard/runs/${runId}`)).toContain(
      "its function is paused (migrating the database): it goes on when the function is resumed",
    );

    const resumed = await post(`${base}/resume`);
    expect(resumed.status).toBe(303);
    expect(await html(resumed.headers.get("location")!)).toContain("Resumed. Releasing held runs");
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    expect(await html(base)).toContain('value="draining"');
  });
});
