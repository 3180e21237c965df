/**
 * Events against the real dev server. Nothing accepted is lost: 2,000 events are accepted in one
 * request, the dev server is killed before the router can have started all their runs (the local
 * queue holds messages in memory, so whatever it held is gone), and after a restart every event has
 * started its run exactly once. And the official `inngest` client sends to Stepwise unchanged.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Inngest } from "inngest";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, getJson, startDevServer, type DevServer } from "./dev-server.ts";

let server: DevServer | undefined;
let stateDir: string | undefined;

afterAll(async () => {
  await server?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

interface RunRow {
  id: string;
  eventId: string;
}

async function allRuns(url: string, functionId: string): Promise<RunRow[]> {
  const runs: RunRow[] = [];
  let cursor = "";
  do {
    const page = await getJson<{ runs: RunRow[]; nextCursor?: string }>(
      `${url}/v1/runs?function=${functionId}&limit=200${cursor ? `&cursor=${cursor}` : ""}`,
    );
    runs.push(...page.runs);
    cursor = page.nextCursor ?? "";
  } while (cursor);
  return runs;
}

describe("events across a restart", () => {
  it("2,000 events accepted, server killed before routing: every run starts once after the restart", async () => {
    stateDir = await mkdtemp(join(tmpdir(), "stepwise-events-"));
    const port = await freePort();
    server = await startDevServer(stateDir, port);
    const events = Array.from({ length: 2_000 }, (_, i) => ({
      name: "user/signed-up",
      data: { userId: `bulk-${i}`, email: `bulk-${i}@example.com`, followUpAfter: "30 days" },
    }));
    const response = await fetch(`${server.url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(events),
    });
    expect(response.status).toBe(202);
    const { ids } = (await response.json()) as { ids: string[] };
    expect(new Set(ids).size).toBe(2_000);
    await server.stop();
    const startedBeforeKill = await countAfterRestart();

    const deadline = Date.now() + 120_000;
    let runs: RunRow[] = [];
    while (Date.now() < deadline) {
      runs = await allRuns(server.url, "onboard-user");
      if (runs.length >= 2_000) break;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    expect(startedBeforeKill).toBeLessThan(2_000);
    if (runs.length < 2_000) console.error(`dev server log after the restart:\n${server.log().slice(-20_000)}`);
    expect(runs).toHaveLength(2_000);
    expect(new Set(runs.map((run) => run.eventId))).toEqual(new Set(ids));
    expect(new Set(runs.map((run) => run.id)).size).toBe(2_000);
  }, 240_000);
});

describe("the official inngest client", () => {
  it("send() to /e/:eventKey is accepted, answered as Inngest answers, and starts runs", async () => {
    const inngest = new Inngest({ id: "legacy-app", eventKey: "local-dev-key", baseUrl: `${server!.url}/` });
    const { ids } = await inngest.send([
      { name: "user/signed-up", data: { userId: "inngest-1", email: "i1@example.com", followUpAfter: "30 days" } },
      {
        name: "user/signed-up",
        data: { userId: "inngest-2", email: "i2@example.com", followUpAfter: "30 days" },
        id: "inngest-dedup-2",
      },
    ]);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe("inngest-dedup-2");
    const deadline = Date.now() + 30_000;
    for (;;) {
      const started = await Promise.all(
        ids.map(async (id) => (await getJson<{ runs: unknown[] }>(`${server!.url}/v1/events/${id}`)).runs.length),
      );
      if (started.every((n) => n === 1)) break;
      if (Date.now() > deadline) throw new Error(`runs started per event: ${started.join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
});

/** Restarts on the same state and counts the runs the index already held. */
async function countAfterRestart(): Promise<number> {
  server = await startDevServer(stateDir!, Number(new URL(server!.url).port));
  return (await allRuns(server.url, "onboard-user")).length;
}
