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

  it("says what a waiting run waits for, and until when", async () => {
    const [eventId = ""] = await sendEvents({ name: "test/invoice.created", data: { invoiceId: crypto.randomUUID() } });
    const [runId = ""] = await client.runsOf(eventId);
    await client.waitUntil(runId, (run) => run.status === "waiting");
    const page = await html(`/dashboard/runs/${runId}`);
    expect(page).toContain(
      "waits for event &quot;test/invoice.approved&quot; where event.data.invoiceId == async.data.invoiceId",
    );
    expect(page).toContain("Waits for the event, until ");
    expect(page).toContain("(then it times out with null)");
    expect(page).toContain(" · not yet");
    await SELF.fetch(`http://stepwise/v1/runs/${runId}/cancel`, { method: "POST" });
  });

  it("shows when a sleeping run wakes, its sleep projected, and history times as ISO, not epoch ms", async () => {
    const runId = await client.invoke("test-pausable", { key: crypto.randomUUID() });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    const page = await html(`/dashboard/runs/${runId}`);
    expect(page).toContain('<span class="muted">wakes <time');
    expect(page).toContain("seg-sleep seg-projected");
    expect(page).toContain("still to come");
    expect(page).toMatch(/&quot;until&quot;:&quot;20\d\d-/);
    expect(page).not.toMatch(/&quot;until&quot;:1\d{12}/);
    await SELF.fetch(`http://stepwise/v1/runs/${runId}/cancel`, { method: "POST" });
  });

  it("links an invoke step to its child run, and counts every failed attempt in the header", async () => {
    const parent = await client.invoke("test-tag-parent", { key: crypto.randomUUID() });
    const run = await client.waitForEnd(parent);
    const [child = ""] = (run.steps as { childRunIds?: string[] }[])[0]?.childRunIds ?? [];
    expect(child).not.toBe("");
    expect(await html(`/dashboard/runs/${parent}`)).toContain(`Child run <a href="/dashboard/runs/${child}"`);

    const [eventId = ""] = await sendEvents({ name: "test/fails-twice", data: { key: crypto.randomUUID() } });
    const [flaky = ""] = await client.runsOf(eventId);
    await client.waitForEnd(flaky, { skipTime: true });
    expect(await html(`/dashboard/runs/${flaky}`)).toMatch(/<dt>Failed attempts<\/dt><dd[^>]*>2<\/dd>/);
  });

  it("an event's page lists the runs it resumed and those it cancelled, beside those it started", async () => {
    const invoiceId = crypto.randomUUID();
    const [created = ""] = await sendEvents({ name: "test/invoice.created", data: { invoiceId } });
    const [waiting = ""] = await client.runsOf(created);
    await client.waitUntil(waiting, (run) => run.status === "waiting");
    const [approved = ""] = await sendEvents({ name: "test/invoice.approved", data: { invoiceId, amount: 5 } });
    await client.waitForEnd(waiting);

    const userId = crypto.randomUUID();
    const [started = ""] = await sendEvents({ name: "test/cancellable.start", data: { userId } });
    const [cancellable = ""] = await client.runsOf(started);
    await client.waitUntil(cancellable, (run) => run.status === "sleeping");
    const [deleted = ""] = await sendEvents({ name: "test/user.deleted", data: { userId } });
    await client.waitUntil(cancellable, (run) => run.status === "cancelled");

    const affected = async (eventId: string) =>
      ((await (await SELF.fetch(`http://stepwise/v1/events/${eventId}`)).json()) as { affected: unknown[] }).affected;
    await expect.poll(() => affected(approved)).toEqual([expect.objectContaining({ runId: waiting, kind: "resumed" })]);
    await expect
      .poll(() => affected(deleted))
      .toEqual([expect.objectContaining({ runId: cancellable, kind: "cancelled" })]);
    const page = await html(`/dashboard/events/${approved}`);
    expect(page).toContain("Runs it resumed or cancelled (1)");
    expect(page).toContain(`href="/dashboard/runs/${waiting}"`);
    expect(page).toContain("resumed a step waiting for it");
    expect(await html(`/dashboard/events/${deleted}`)).toContain("cancelled the run (cancelOn)");
  });
});
