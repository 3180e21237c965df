/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core against
 * `npm run dev` started with an API key. Screenshots go to a temporary directory, or to
 * STEPWISE_SCREENSHOTS (`npm run screenshots` writes the ones in docs/).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, hasChromium } from "./browser.ts";
import { freePort, startDevServer, type DevServer } from "./dev-server.ts";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** An approver's page on another origin: its button POSTs a decision to the token URL it is given. */
const APPROVAL_PAGE = `<!doctype html><button id="approve">Approve</button><pre id="out"></pre>
<script>
const url = new URLSearchParams(location.search).get("token");
document.getElementById("approve").onclick = async () => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ approved: true, note: "from the browser" }),
  });
  document.getElementById("out").textContent = response.status + " " + (await response.text());
};
</script>`;

const KEY = "e2e-dashboard-key";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];
const SEND_FORM = "form[action='/dashboard/events/send']";
const shots = process.env.STEPWISE_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "stepwise-shots-"));

let stateDir: string;
let server: DevServer;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

/** A badge with `status` inside the live region. */
const badge = (status: string) => page.locator(`#live-region .badge.s-${status}`).first();

beforeAll(async () => {
  if (!hasChromium) return;
  stateDir = mkdtempSync(join(tmpdir(), "stepwise-dashboard-"));
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  // Token URLs are absolute when the deployment's public URL is set, as it is here.
  server = await startDevServer(stateDir, port, [
    "--var",
    `STEPWISE_API_KEYS:${KEY}`,
    "--var",
    `STEPWISE_PUBLIC_URL:http://127.0.0.1:${port}`,
  ]);
  browser = await chromium.launch({ executablePath: chromiumPath, args: FLAGS });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  // Confirmations are accepted; anything else (an alert from injected script) is recorded.
  page.on("dialog", (dialog) => {
    if (dialog.type() !== "confirm") dialogs.push(dialog.message());
    void dialog.accept();
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)("dashboard in Chromium", () => {
  it("asks for a login, refuses a wrong key and lets the right one in", async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.url()).toContain("/dashboard/login");
    await page.fill("input[name=key]", "wrong");
    await page.click("button[type=submit]");
    await page.getByText("not one of this Stepwise's API keys").waitFor();
    await page.fill("input[name=key]", KEY);
    await page.click("button[type=submit]");
    await page.getByRole("heading", { name: "Runs" }).waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === "stepwise_session")).toMatchObject({
      httpOnly: true,
      sameSite: "Strict",
    });
  });

  it("sends an event from the form and shows its run appear and complete live", async () => {
    await page.goto(`${server.url}/dashboard/events`);
    await page.click("summary:has-text('Send a test event')");
    await page.fill(`${SEND_FORM} input[name=name]`, "items/batch-ready");
    await page.fill(`${SEND_FORM} textarea[name=data]`, JSON.stringify({ itemIds: ["a", "b", "c"] }));
    await page.click("button:has-text('Send event')");
    await page.waitForURL(/\/dashboard\/events\/[0-9A-Z]{26}$/);
    // A marker on the window survives only if the page is updated in place, not reloaded.
    await page.evaluate(() => Object.assign(window, { __stayed: true }));
    await page.locator("#live-indicator.on").waitFor();
    await badge("completed").waitFor({ timeout: 30_000 });
    await expect(page.locator("#live-region").textContent()).resolves.toContain("process-items");
    expect(await page.evaluate(() => (window as unknown as { __stayed?: boolean }).__stayed)).toBe(true);
  });

  it("shows times in the browser's zone with how long ago, the UTC time in the title", async () => {
    const context = await browser.newContext({ timezoneId: "Asia/Tokyo", viewport: { width: 1360, height: 900 } });
    await context.addCookies(await page.context().cookies());
    const tokyo = await context.newPage();
    await tokyo.goto(`${server.url}/dashboard/runs`);
    const time = tokyo.locator("#live-region time").first();
    await time.waitFor();
    const iso = (await time.getAttribute("datetime")) ?? "";
    const local = new Date(iso).toLocaleString("sv-SE", { timeZone: "Asia/Tokyo" });
    await expect.poll(() => time.textContent()).toMatch(new RegExp(`^${local} · (now|\\d+ (seconds?|minutes?) ago)$`));
    expect(await time.getAttribute("title")).toBe(iso);
    // A session: "Log out" is there.
    expect(await tokyo.locator("button:has-text('Log out')").count()).toBe(1);
    await context.close();
  });

  it("shows a payload holding <script> as text and runs nothing", async () => {
    await page.goto(`${server.url}/dashboard/events`);
    await page.click("summary:has-text('Send a test event')");
    await page.fill(`${SEND_FORM} input[name=name]`, `xss/<img src=x onerror="window.__xss=1">`);
    await page.fill(
      `${SEND_FORM} textarea[name=data]`,
      JSON.stringify({ html: "<script>window.__xss=2;alert('xss')</script>" }),
    );
    await page.click("button:has-text('Send event')");
    await page.waitForURL(/\/dashboard\/events\/[0-9A-Z]{26}$/);
    await page.getByText(`<script>window.__xss=2;alert('xss')</script>`).waitFor();
    await page.goto(`${server.url}/dashboard/events`);
    await page.getByText(`xss/<img src=x onerror="window.__xss=1">`).first().waitFor();
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator("img").count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it("opens a failed run, shows its retries, and replays it", async () => {
    await page.goto(`${server.url}/dashboard/functions/analyze-document`);
    await page.fill(
      "textarea[name=data]",
      JSON.stringify({ documentId: "doc-7", text: "quarterly report draft", failLlmTimes: 9 }),
    );
    await page.click("button:has-text('Invoke')");
    await page.waitForURL(/\/dashboard\/runs\/[0-9A-Z]{26}\?done=invoked$/);
    const failedUrl = page.url().replace(/\?.*$/, "");
    await badge("failed").waitFor({ timeout: 60_000 });
    await page.click("summary:has-text('call-llm')");
    await page.locator("pre.err:has-text('LLM unavailable')").first().waitFor();
    expect(await page.locator("#live-region rect.seg-failed").count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator("#live-region rect.seg-backoff").count()).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(shots, "run-detail.png"), fullPage: true });
    await page.click("button:has-text('Replay')");
    await page.waitForURL(/\?done=replayed$/);
    expect(page.url().replace(/\?.*$/, "")).not.toBe(failedUrl);
    await page.getByText("Replay of").waitFor();
    expect(await page.locator(`a[href="${new URL(failedUrl).pathname}"]`).count()).toBe(1);
  });

  it("completes a run's open wait token from its page", async () => {
    await page.goto(`${server.url}/dashboard/functions/approve-expense`);
    await page.fill(
      "textarea[name=data]",
      JSON.stringify({ expenseId: "e-dash", amount: 80, approver: "a@example.com" }),
    );
    await page.click("button:has-text('Invoke')");
    await page.waitForURL(/\?done=invoked$/);
    await badge("waiting").waitFor({ timeout: 15_000 });
    await page.getByText("Wait tokens").waitFor();
    expect(await page.locator(".token-url").textContent()).toMatch(
      new RegExp(`^${server.url}/v1/tokens/wt_[0-9a-f]{32}_[0-9A-Z]{26}/complete$`),
    );
    await page.fill(".token-form textarea[name=data]", JSON.stringify({ approved: false, note: "over budget" }));
    await page.click("button:has-text('Complete token')");
    await page.waitForURL(/\?done=token-resumed$/);
    await badge("completed").waitFor({ timeout: 15_000 });
    await page.getByText("over budget").first().waitFor();
    expect(await page.locator(".token-form").count()).toBe(0);
  });

  it("a page on another origin completes a token through its URL, once, with no API key", async () => {
    const auth = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
    const invoked = await fetch(`${server.url}/v1/functions/approve-expense/invoke`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ data: { expenseId: "e-web", amount: 35, approver: "b@example.com" } }),
    });
    const { runId } = (await invoked.json()) as { runId: string };
    const runOf = async () =>
      (await (await fetch(`${server.url}/v1/runs/${runId}`, { headers: auth })).json()) as {
        status: string;
        output?: unknown;
        tokens?: { url: string }[];
      };
    await expect.poll(async () => (await runOf()).status, { timeout: 15_000 }).toBe("waiting");
    const tokenUrl = (await runOf()).tokens?.[0]?.url ?? "";
    // The approver's page, served from another origin: its POST needs the token's CORS answer.
    const other = createServer((_, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end(APPROVAL_PAGE);
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const { port } = other.address() as AddressInfo;
    try {
      await page.goto(`http://localhost:${port}/?token=${encodeURIComponent(tokenUrl)}`);
      await page.click("#approve");
      await expect.poll(() => page.locator("#out").textContent()).toMatch(/^200 /);
      await expect
        .poll(async () => (await runOf()).output, { timeout: 15_000 })
        .toEqual({
          expenseId: "e-web",
          outcome: "paid",
        });
      await page.click("#approve");
      await expect.poll(() => page.locator("#out").textContent()).toMatch(/^409 .*already completed/);
    } finally {
      other.close();
    }
  });

  it("cancels a sleeping run", async () => {
    await page.goto(`${server.url}/dashboard/functions/onboard-user`);
    await page.fill("textarea[name=data]", JSON.stringify({ userId: "u-cancel", email: "u@example.com" }));
    await page.click("button:has-text('Invoke')");
    await page.waitForURL(/\?done=invoked$/);
    await badge("sleeping").waitFor({ timeout: 15_000 });
    await page.click("button:has-text('Cancel')");
    await page.waitForURL(/\?done=cancelled$/);
    await badge("cancelled").waitFor();
    await page.getByText("Run cancelled.").waitFor();
  });

  it("lists the runs with their statuses, in light and dark", async () => {
    await page.goto(`${server.url}/dashboard/runs`);
    for (const status of ["completed", "failed", "cancelled"])
      await page.locator(`.counts .badge.s-${status}`).waitFor();
    await page.screenshot({ path: join(shots, "runs.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${server.url}/dashboard/runs`);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe("rgb(18, 18, 22)");
    await page.screenshot({ path: join(shots, "runs-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("is usable 390 px wide: nothing wider than the screen, tables and the waterfall reflowed", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await context.addCookies(await page.context().cookies());
    const phone = await context.newPage();
    const { runs } = (await (
      await fetch(`${server.url}/v1/runs?limit=1&status=failed`, { headers: { authorization: `Bearer ${KEY}` } })
    ).json()) as {
      runs: { id: string }[];
    };
    for (const path of [
      "/dashboard/runs",
      `/dashboard/runs/${runs[0]!.id}`,
      "/dashboard/functions",
      "/dashboard/functions/onboard-user",
      "/dashboard/events",
      "/dashboard/schedules",
      "/dashboard/alerts",
    ]) {
      await phone.goto(`${server.url}${path}`);
      const widths = await phone.evaluate(() => ({
        over: Array.from(document.querySelectorAll("main *"))
          .filter((el) => el.getBoundingClientRect().right > 391)
          .slice(0, 6)
          .map((el) => `${el.tagName.toLowerCase()}.${el.className}`)
          .join(" "),
        page: document.documentElement.scrollWidth,
        widest: Math.max(
          ...Array.from(document.querySelectorAll("main *")).map((el) => el.getBoundingClientRect().right),
        ),
      }));
      expect(widths.page, `${path}: ${widths.over}`).toBeLessThanOrEqual(390);
      expect(widths.widest, `${path}: ${widths.over}`).toBeLessThanOrEqual(391);
    }
    // A table's header row is hidden and its rows are blocks; a waterfall row's bar is on its own line.
    await phone.goto(`${server.url}/dashboard/runs/${runs[0]!.id}`);
    expect(await phone.evaluate(() => getComputedStyle(document.querySelector("tr")!).display)).toBe("block");
    const [name, bar] = await phone.evaluate(() =>
      [".wf .name", ".wf svg"].map((selector) => document.querySelector(selector)!.getBoundingClientRect().top),
    );
    expect(bar!).toBeGreaterThan(name!);
    await context.close();
  });
});
