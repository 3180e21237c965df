/**
 * Realtime in a real browser: a user's page (React, `stepwise/react`) on another origin, with its
 * own backend minting subscription tokens with an API key, watches a run over a WebSocket and the
 * run's reply stream over Server-Sent Events while `npm run dev` runs the draft-reply example.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, hasChromium } from "./browser.ts";
import { freePort, startDevServer, type DevServer } from "./dev-server.ts";

const KEY = "e2e-realtime-key";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

let stateDir: string;
let server: DevServer;
let backend: Server;
let backendUrl: string;
let browser: Browser;
let page: Page;
const minted: string[] = [];

const api = async (path: string, body?: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as Record<string, unknown>;
};

beforeAll(async () => {
  if (!hasChromium) return;
  stateDir = mkdtempSync(join(tmpdir(), "stepwise-realtime-"));
  server = await startDevServer(stateDir, await freePort(), ["--var", `STEPWISE_API_KEYS:${KEY}`]);
  const bundle = await build({
    entryPoints: [join(import.meta.dirname, "fixtures/realtime-page.tsx")],
    bundle: true,
    format: "esm",
    write: false,
    jsx: "automatic",
    jsxImportSource: "react",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const script = bundle.outputFiles[0]?.text ?? "";
  // The user's own site: the page, its script, and a token route that mints with the API key.
  backend = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname === "/app.js") {
      response.writeHead(200, { "content-type": "text/javascript" });
      return response.end(script);
    }
    if (url.pathname === "/token") {
      const scope = url.searchParams.has("run")
        ? { run: url.searchParams.get("run") }
        : { stream: url.searchParams.get("stream") };
      void api("/v1/realtime/tokens", scope).then((answer) => {
        minted.push(String(answer.token));
        response.writeHead(200, { "content-type": "text/plain" });
        response.end(String(answer.token));
      });
      return;
    }
    response.writeHead(200, { "content-type": "text/html" });
    response.end(`<!doctype html><div id="root"></div><script type="module" src="/app.js"></script>`);
  });
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  backendUrl = `http://localhost:${(backend.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: chromiumPath, args: FLAGS });
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  backend?.close();
  await server?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)("realtime in Chromium", () => {
  it("a page on another origin sees the run's steps and its reply stream arrive live, then its end", async () => {
    const { runId } = (await api("/v1/functions/draft-reply/invoke", {
      data: { ticketId: "t-1", question: "refunds", startAfter: "1h", wordMs: 60 },
    })) as { runId: string };
    await page.goto(`${backendUrl}/?run=${runId}&stepwise=${encodeURIComponent(server.url)}`);
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 15_000 }).toBe("sleeping");
    await expect.poll(() => page.locator("#state").textContent()).toBe("open");

    // The wake answers once the run has gone as far as it can: sampled meanwhile, not after.
    const woken = api(`/v1/runs/${runId}/wake`, { only: "sleeps" });
    // Sampled while the reply streams: it must grow a few words at a time, not arrive at the end.
    const seen = new Set<number>();
    await expect
      .poll(
        async () => {
          seen.add(Number(await page.locator("#chunks").textContent()));
          return page.locator("#status").textContent();
        },
        { timeout: 20_000, interval: 40 },
      )
      .toBe("waiting");
    await woken;
    const reply = await page.locator("#reply").textContent();
    expect(reply).toBe('Thanks for asking about "refunds". Here is what we found and what to do next.');
    expect([...seen].filter((n) => n > 0 && n < 16).length).toBeGreaterThanOrEqual(3);
    expect(await page.locator("#metadata").textContent()).toBe('{"stage":"drafting"}');
    expect(await page.locator("#steps li").evaluateAll((items) => items.map((li) => li.textContent))).toEqual([
      "queue",
      "draft",
      "review",
    ]);

    // The agent approves through the review's wait token; the page sees the end.
    const run = await api(`/v1/runs/${runId}`);
    const tokenUrl = (run.tokens as { url: string }[])[0]?.url ?? "";
    await fetch(new URL(tokenUrl, server.url), { method: "POST", body: JSON.stringify({ approved: true }) });
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 15_000 }).toBe("completed");
    expect(await page.locator("#metadata").textContent()).toBe('{"stage":"sent"}');
    expect(await page.locator("#steps li[data-status=completed]").count()).toBe(4);
    // Each subscription took a token of its own from the page's backend.
    expect(minted.length).toBeGreaterThanOrEqual(2);
  });
});
