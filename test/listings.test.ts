import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { indexRuns } from "../src/core/run-index/write.ts";
import type { RunIndexRow } from "../src/core/db/runs.ts";

const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const response = await SELF.fetch(`http://stepwise${path}`);
  return { status: response.status, body: (await response.json()) as T };
};
type RunsPage = { runs: { id: string; functionId: string; status: string; createdAt: string }[]; nextCursor?: string };

function row(i: number, functionId: string, status: string): RunIndexRow {
  const at = 1_800_000_000_000 + Math.floor(i / 2) * 1000;
  return {
    id: `LIST${String(i).padStart(4, "0")}`,
    functionId,
    status,
    eventId: `ev-${i % 3}`,
    eventName: "list/test",
    attempt: 0,
    parentRunId: null,
    error: null,
    createdAt: at,
    endedAt: null,
    updatedAt: at,
  };
}

describe("GET /v1/runs", () => {
  it("pages newest first with a stable cursor, and filters by function, status, event and time", async () => {
    const rows = Array.from({ length: 25 }, (_, i) =>
      row(i, i % 2 ? "list-odd" : "list-even", i % 5 === 0 ? "failed" : "completed"),
    );
    await indexRuns(env, rows);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get<RunsPage>(`/v1/runs?after=1800000000000&limit=10${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.runs.map((run) => run.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const expected = [...rows].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map((r) => r.id);
    expect(seen).toEqual(expected);

    const odd = await get<RunsPage>("/v1/runs?function=list-odd&status=failed");
    expect(odd.body.runs.map((run) => run.id)).toEqual(["LIST0015", "LIST0005"]);
    const byEvent = await get<RunsPage>("/v1/runs?event=ev-1&limit=200");
    expect(byEvent.body.runs.filter((run) => run.id.startsWith("LIST"))).toHaveLength(8);
    const late = await get<RunsPage>(`/v1/runs?after=${new Date(1_800_000_011_000).toISOString()}`);
    expect(late.body.runs.map((run) => run.id)).toEqual(["LIST0024", "LIST0023", "LIST0022"]);
    expect(late.body.runs[0]?.createdAt).toBe(new Date(1_800_000_012_000).toISOString());
  });

  it("refuses a bad filter with the issues", async () => {
    expect((await get("/v1/runs?status=sleepy")).status).toBe(400);
    expect((await get("/v1/runs?limit=0")).status).toBe(400);
    expect((await get("/v1/runs?cursor=garbage")).status).toBe(400);
    expect((await get("/v1/runs?after=yesterday")).status).toBe(400);
  });
});

describe("GET /v1/events", () => {
  it("lists events newest first, by name, with pages", async () => {
    const name = `list/${crypto.randomUUID()}`;
    await SELF.fetch("http://stepwise/v1/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([1, 2, 3].map((n) => ({ name, data: { n } }))),
    });
    const first = await get<{ events: { name: string; data: { n: number } }[]; nextCursor?: string }>(
      `/v1/events?name=${encodeURIComponent(name)}&limit=2`,
    );
    expect(first.body.events).toHaveLength(2);
    const rest = await get<{ events: unknown[]; nextCursor?: string }>(
      `/v1/events?name=${encodeURIComponent(name)}&limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(rest.body.events).toHaveLength(1);
    expect(rest.body.nextCursor).toBeUndefined();
    expect((await get("/v1/events/does-not-exist")).status).toBe(404);
  });
});

describe("GET /v1/events with large events", () => {
  it("lists large payloads by size only, so a page stays small; the event itself carries its data", async () => {
    const name = `list/large-${crypto.randomUUID()}`;
    const big = { blob: "x".repeat(400 * 1024) };
    const sent = await SELF.fetch("http://stepwise/v1/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        ...Array.from({ length: 5 }, () => ({ name, data: big })),
        { name, data: { small: true } },
      ]),
    });
    const { ids } = (await sent.json()) as { ids: string[] };
    const response = await SELF.fetch(`http://stepwise/v1/events?name=${encodeURIComponent(name)}&limit=200`);
    const text = await response.text();
    expect(text.length).toBeLessThan(20_000);
    const { events } = JSON.parse(text) as {
      events: { id: string; data?: unknown; dataBytes: number; payloadOmitted?: boolean }[];
    };
    expect(events).toHaveLength(6);
    const small = events.find((event) => event.id === ids[5]);
    expect(small).toMatchObject({ data: { small: true }, dataBytes: 14 });
    expect(small?.payloadOmitted).toBeUndefined();
    for (const event of events.filter((e) => e.id !== ids[5])) {
      expect(event).toMatchObject({ payloadOmitted: true, dataBytes: JSON.stringify(big).length });
      expect(event.data).toBeUndefined();
    }
    const one = (await (await SELF.fetch(`http://stepwise/v1/events/${ids[0]}`)).json()) as {
      event: { data: unknown };
    };
    expect(one.event.data).toEqual(big);
    const page = await SELF.fetch(`http://stepwise/dashboard/events?name=${encodeURIComponent(name)}`);
    const html = await page.text();
    expect(html.length).toBeLessThan(60_000);
    expect(html).toContain("open the event");
  });
});

describe("GET /v1/functions", () => {
  it("shows each function's trigger and config", async () => {
    const { body } = await get<{ functions: { id: string; triggers: unknown[]; config: { idempotency?: string } }[] }>(
      "/v1/functions",
    );
    expect(body.functions.find((fn) => fn.id === "pro-only")?.triggers).toEqual([
      { event: "test/plan", if: 'event.data.plan == "pro"' },
    ]);
    expect(body.functions.find((fn) => fn.id === "idem")?.config.idempotency).toBe("event.data.userId");
  });
});

describe("the functions table", () => {
  it("holds every registered function with its triggers and config once the Worker has served", async () => {
    await SELF.fetch("http://stepwise/");
    const row = () =>
      env.DB.prepare("SELECT app_id, triggers, config FROM functions WHERE id = 'weekly-report'").first<{
        app_id: string;
        triggers: string;
        config: string;
      }>();
    await expect.poll(row).not.toBeNull();
    const stored = (await row())!;
    expect(stored.app_id).toBe("event-tests");
    expect(JSON.parse(stored.triggers)).toEqual([{ cron: "0 9 * * MON", timezone: "Europe/Paris" }]);
    expect(JSON.parse(stored.config)).toMatchObject({ id: "weekly-report", retries: 3 });
  });
});
