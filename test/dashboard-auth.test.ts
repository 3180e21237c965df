import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../src/api/app.ts";

const keyed = { ...env, STEPWISE_API_KEYS: "old-key, dash-key" };
const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://stepwise" },
  body: new URLSearchParams(fields).toString(),
});

describe("dashboard access", () => {
  it("/ redirects to the dashboard, which is open in local development without keys", async () => {
    const root = await SELF.fetch("http://stepwise/", { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/dashboard");
    const runs = await SELF.fetch("http://stepwise/dashboard/runs");
    expect(runs.status).toBe(200);
    expect(runs.headers.get("content-type")).toContain("text/html");
    expect(runs.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await runs.text();
    expect(html).toContain("<h1>Runs</h1>");
    // No session to end on an open dashboard: no "Log out".
    expect(html).not.toContain("Log out");
  });

  it("with API keys, pages need a login; a wrong key is refused, a right one sets an HttpOnly cookie", async () => {
    const anonymous = await app.request("http://stepwise/dashboard/runs?status=failed", {}, keyed);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe(
      `/dashboard/login?next=${encodeURIComponent("/dashboard/runs?status=failed")}`,
    );
    expect(
      (await app.request("http://stepwise/dashboard/runs/x/live", { headers: { upgrade: "websocket" } }, keyed)).status,
    ).toBe(401);

    const wrong = await app.request(
      "http://stepwise/dashboard/login",
      form({ key: "nope", next: "/dashboard/runs" }),
      keyed,
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("not one of this Stepwise");

    const right = await app.request(
      "http://stepwise/dashboard/login",
      form({ key: "dash-key", next: "/dashboard/events" }),
      keyed,
    );
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toBe("/dashboard/events");
    const cookie = right.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^stepwise_session=\d+\.[\w-]+;/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/dashboard");
    expect(cookie).not.toContain("dash-key");

    const session = cookie.split(";")[0]!;
    const signedIn = await app.request("http://stepwise/dashboard/events", { headers: { cookie: session } }, keyed);
    expect(signedIn.status).toBe(200);
    expect(await signedIn.text()).toContain("Log out");
    // Rotating the key away ends its sessions.
    const rotated = { ...env, STEPWISE_API_KEYS: "new-key" };
    expect(
      (
        await app.request(
          "http://stepwise/dashboard/events",
          { headers: { cookie: session }, redirect: "manual" },
          rotated,
        )
      ).status,
    ).toBe(303);
  });

  it("the login form only sends people back into the dashboard", async () => {
    const right = await app.request(
      "http://stepwise/dashboard/login",
      form({ key: "dash-key", next: "https://evil.example/" }),
      keyed,
    );
    expect(right.headers.get("location")).toBe("/dashboard/runs");
  });

  it("without keys outside development the dashboard refuses to open", async () => {
    const production = { ...env, STEPWISE_ENV: "production", STEPWISE_API_KEYS: "" };
    const response = await app.request("http://stepwise/dashboard/runs", {}, production);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("STEPWISE_API_KEYS");
  });

  it("refuses a form posted from another site", async () => {
    const response = await SELF.fetch("http://stepwise/dashboard/events/send", {
      ...form({ name: "x/y", data: "{}" }),
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
    });
    expect(response.status).toBe(403);
  });

  it("refuses a state-changing request of any type from another site, or from nowhere said", async () => {
    const { runId } = (await (
      await SELF.fetch("http://stepwise/v1/functions/onboard-user/invoke", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: { userId: `csrf-${crypto.randomUUID()}`, email: "c@example.com" } }),
      })
    ).json()) as { runId: string };
    const attempts: Record<string, string>[] = [
      { "content-type": "application/json", origin: "https://evil.example" },
      { "content-type": "application/json", "sec-fetch-site": "cross-site" },
      { "content-type": "application/json" },
      { "content-type": "text/plain", origin: "null" },
    ];
    for (const headers of attempts) {
      const response = await SELF.fetch(`http://stepwise/dashboard/runs/${runId}/cancel`, {
        method: "POST",
        headers,
        body: "{}",
      });
      expect(response.status, JSON.stringify(headers)).toBe(403);
    }
    expect(
      ((await (await SELF.fetch(`http://stepwise/v1/runs/${runId}`)).json()) as { status: string }).status,
    ).not.toBe("cancelled");
    const ours = await SELF.fetch(`http://stepwise/dashboard/runs/${runId}/cancel`, {
      method: "POST",
      headers: { "sec-fetch-site": "same-origin" },
    });
    expect(ours.status).toBeLessThan(400);
  });
});
