import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, sendEvents } from "./helpers.ts";

const html = async (path: string) => (await SELF.fetch(`http://stepwise${path}`)).text();

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
});
