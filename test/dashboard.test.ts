import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, runFor, sendEvents } from "./helpers.ts";
import { indexedRun } from "./indexed.ts";

const page = async (path: string) => {
  const response = await SELF.fetch(`http://stepwise${path}`, { redirect: "manual" });
  return { status: response.status, location: response.headers.get("location"), html: await response.text() };
};
const post = (path: string, fields: Record<string, string> = {}) =>
  SELF.fetch(`http://stepwise${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://stepwise" },
    body: new URLSearchParams(fields).toString(),
  });
const indexed = (runId: string, status: string) =>
  expect.poll(async () => (await indexedRun(runId))?.status).toBe(status);

describe("dashboard pages", () => {
  it("escapes what users send: a <script> in an event name or payload is shown as text, never run", async () => {
    const payload = { note: "</pre><script>window.__xss = 1</script>", "<img src=x onerror=alert(1)>": "<b>bold</b>" };
    const [eventId] = await sendEvents({ name: "xss/<script>alert(1)</script>", data: payload });
    for (const path of ["/dashboard/events", `/dashboard/events/${eventId}`]) {
      const { html } = await page(path);
      expect(html).not.toContain("<script>window.__xss");
      expect(html).not.toContain("<script>alert(1)");
      expect(html).not.toContain("<img src=x");
      expect(html).toContain("&lt;/pre&gt;&lt;script&gt;window.__xss = 1&lt;/script&gt;");
      expect(html).toContain("xss/&lt;script&gt;alert(1)&lt;/script&gt;");
    }
  });

  it("lists runs newest first with counts per status, filtered by function, status, event name and range", async () => {
    const failed = await client.invoke("test-non-retriable", { key: crypto.randomUUID() });
    const sleeping = await client.invoke("onboard-user", { userId: "dash", email: "d@example.com" });
    await indexed(failed, "failed");
    await indexed(sleeping, "sleeping");
    const all = await page("/dashboard/runs");
    // The exact link: the failed run's onFailure run (`<id>.failure`) contains its id and starts later.
    const row = (runId: string) => all.html.indexOf(`href="/dashboard/runs/${runId}"`);
    expect(row(sleeping)).toBeGreaterThan(-1);
    expect(row(failed)).toBeGreaterThan(-1);
    expect(row(sleeping)).toBeLessThan(row(failed));
    const onlyFailed = await page("/dashboard/runs?status=failed&function=test-non-retriable&range=1h");
    expect(onlyFailed.html).toContain(failed);
    expect(onlyFailed.html).not.toContain(sleeping);
    expect(onlyFailed.html).toMatch(/class="badge s-failed">failed<\/span> <strong>\d+<\/strong>/);
    const byEvent = await page("/dashboard/runs?event=stepwise%2Ffunction.invoked&function=onboard-user");
    expect(byEvent.html).toContain(sleeping);
    expect(byEvent.html).not.toContain(failed);
    const bad = await page("/dashboard/runs?status=exploded");
    expect(bad.status).toBe(400);
    expect(bad.html).toContain("status: Invalid option");
  });

  it("search finds a run by its id and runs by their event id", async () => {
    const [eventId] = await sendEvents({ name: "user/signed-up", data: { userId: "s1", email: "s1@example.com" } });
    const runId = await runFor(eventId!);
    const byRun = await page(`/dashboard/runs?q=${runId}`);
    expect(byRun.status).toBe(303);
    expect(byRun.location).toBe(`/dashboard/runs/${runId}`);
    const byEvent = await page(`/dashboard/runs?q=${eventId}`);
    expect(byEvent.html).toContain(runId);
  });

  it("shows a failed run's error, stack, steps, waterfall and history, and replays it", async () => {
    const runId = await client.invoke("test-non-retriable", { key: crypto.randomUUID() });
    await client.waitUntil(runId, (run) => run.status === "failed");
    const { html } = await page(`/dashboard/runs/${runId}`);
    expect(html).toContain("NonRetriableError");
    expect(html).toContain("card declined");
    expect(html).toContain('class="seg-failed"');
    expect(html).toContain("run.failed");
    expect(html).toContain(">Replay</button>");
    expect(html).not.toContain("data-live=");
    const replay = await post(`/dashboard/runs/${runId}/replay`, { fromStart: "true" });
    expect(replay.status).toBe(303);
    const newRunId = /\/dashboard\/runs\/([^?]+)\?done=replayed-from-start/.exec(
      replay.headers.get("location") ?? "",
    )?.[1];
    expect(newRunId).toBeDefined();
    expect((await page(`/dashboard/runs/${newRunId}?done=replayed-from-start`)).html).toContain(
      `href="/dashboard/runs/${runId}"`,
    );
  });

  it("cancels and wakes runs from their page", async () => {
    const sleeping = await client.invoke("onboard-user", { userId: "w", email: "w@example.com" });
    await client.waitUntil(sleeping, (run) => run.status === "sleeping");
    const detail = await page(`/dashboard/runs/${sleeping}`);
    expect(detail.html).toContain(`data-live="[&quot;/dashboard/runs/${sleeping}/live&quot;]"`);
    expect(detail.html).toContain('class="seg-sleep"');
    const woken = await post(`/dashboard/runs/${sleeping}/wake`);
    expect(woken.headers.get("location")).toBe(`/dashboard/runs/${sleeping}?done=woken`);
    expect((await client.getRun(sleeping)).status).toBe("completed");

    const other = await client.invoke("onboard-user", { userId: "c", email: "c@example.com" });
    await client.waitUntil(other, (run) => run.status === "sleeping");
    const cancelled = await post(`/dashboard/runs/${other}/cancel`);
    expect(cancelled.headers.get("location")).toBe(`/dashboard/runs/${other}?done=cancelled`);
    expect((await client.getRun(other)).status).toBe("cancelled");
    expect((await page(`/dashboard/runs/${other}?done=cancelled`)).html).toContain("Run cancelled.");
    const notARun = await post("/dashboard/runs/not%20a%20run/cancel");
    expect(notARun.status).toBe(400);
    expect(await notARun.text()).toContain("is not a run id");
  });

  it("shows a run's open wait token and completes it from the form; bad JSON and a second completion are refused", async () => {
    const runId = await client.invoke("token-inline", {});
    const waiting = await client.waitUntil(runId, (run) => (run.tokens ?? []).length === 1);
    const tokenId = waiting.tokens?.[0]?.id ?? "";
    const detail = await page(`/dashboard/runs/${runId}`);
    expect(detail.html).toContain("Wait tokens");
    expect(detail.html).toContain(`/v1/tokens/${tokenId}/complete`);
    const action = `/dashboard/runs/${runId}/tokens/${tokenId}/complete`;
    expect(detail.html).toContain(`action="${action}"`);
    const bad = await post(action, { data: "{nope" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("must be JSON");
    const done = await post(action, { data: JSON.stringify({ approved: true }) });
    expect(done.headers.get("location")).toBe(`/dashboard/runs/${runId}?done=token-resumed`);
    expect((await client.waitForEnd(runId)).output).toEqual({ approved: true });
    const again = await post(action, { data: "{}" });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("already completed");
    expect((await page(`/dashboard/runs/${runId}`)).html).not.toContain(`action="${action}"`);
  });

  it("the event form sends through the real path, and refuses bad input with the reasons", async () => {
    const sent = await post("/dashboard/events/send", {
      name: "user/signed-up",
      data: '{"userId":"f1","email":"f1@example.com"}',
    });
    expect(sent.status).toBe(303);
    const eventId = /^\/dashboard\/events\/(.+)$/.exec(sent.headers.get("location") ?? "")?.[1];
    await runFor(eventId!, "onboard-user");
    const badJson = await post("/dashboard/events/send", { name: "a/b", data: "{oops" });
    expect(badJson.status).toBe(400);
    expect(await badJson.text()).toContain("not valid JSON");
    const noName = await post("/dashboard/events/send", { name: "", data: "{}" });
    expect(noName.status).toBe(400);
    expect(await noName.text()).toContain("an event needs a name");
  });

  it("invokes a function from its page and shows its config and 24-hour figures", async () => {
    const invoked = await post("/dashboard/functions/test-parallel/invoke", { data: '{"key":"fp","n":3}' });
    expect(invoked.status).toBe(303);
    const runId = /\/dashboard\/runs\/([^?]+)/.exec(invoked.headers.get("location") ?? "")?.[1];
    await client.waitUntil(runId!, (run) => run.status === "completed");
    await indexed(runId!, "completed");
    const { html } = await page("/dashboard/functions/test-parallel");
    expect(html).toContain(runId);
    expect(html).toMatch(/p50 duration<\/dt><dd>\d/);
    expect((await post("/dashboard/functions/test-parallel/invoke", { data: "[1,2]" })).status).toBe(400);
    const tooLarge = await post("/dashboard/functions/test-parallel/invoke", {
      data: JSON.stringify({ blob: "x".repeat(10.5 * 1024 * 1024) }),
    });
    expect(tooLarge.status).toBe(400);
    // Past the event limit the data is kept in R2; the request body limit still holds.
    expect(await tooLarge.text()).toContain("Event data is 10.5 MiB; the limit is 10 MiB");
    const list = await page("/dashboard/functions");
    expect(list.html).toContain("cron 0 9 * * MON (Europe/Paris)");
    expect(list.html).toContain("concurrency");
  });

  it("bulk replays a function's failed runs", async () => {
    const failed = await client.invoke("test-non-retriable", { key: crypto.randomUUID() });
    await indexed(failed, "failed");
    const response = await post("/dashboard/functions/test-non-retriable/replay-failed", { range: "1h" });
    expect(response.status).toBe(303);
    const location = response.headers.get("location") ?? "";
    expect(location).toMatch(/^\/dashboard\/functions\/test-non-retriable\?job=[0-9A-Z]{26}$/);
    await expect
      .poll(async () => (await page(location)).html, { timeout: 10_000 })
      .toMatch(/Bulk replay [0-9A-Z]{26}: \d+ failed run\(s\) found, \d+ replayed, done/);
  });
});
