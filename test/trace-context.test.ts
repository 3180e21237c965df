/**
 * W3C trace context: an event's `traceparent` (in its body, or the request's header) is kept
 * with it and handed to its runs; an invoked child run carries its parent run's span; calls to a
 * remote app carry the run's span as a `traceparent` header.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runSpanIdOf, traceIdOf } from "../durable-objects/run/trace.ts";
import { client, runFor } from "./helpers.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE}-${SPAN}-01`;

const send = async (body: unknown, headers: Record<string, string> = {}) =>
  SELF.fetch("http://stepwise/v1/events", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const firstEvent = async (runId: string) => ((await client.getRun(runId)).events as { traceparent?: string }[])[0];

describe("trace context", () => {
  it("an event keeps the traceparent it was sent with, or the request's, and hands it to its runs", async () => {
    const inBody = await send({
      name: "test/tag-relayed",
      data: { key: crypto.randomUUID() },
      traceparent: TRACEPARENT,
    });
    const [bodyEvent = ""] = ((await inBody.json()) as { ids: string[] }).ids;
    const stored = (await (await SELF.fetch(`http://stepwise/v1/events/${bodyEvent}`)).json()) as {
      event: { traceparent?: string };
    };
    expect(stored.event.traceparent).toBe(TRACEPARENT);
    expect(await firstEvent(await runFor(bodyEvent))).toMatchObject({ traceparent: TRACEPARENT });

    const fromHeader = `00-${"1".repeat(32)}-${"2".repeat(16)}-01`;
    const viaHeader = await send(
      { name: "test/tag-relayed", data: { key: crypto.randomUUID() } },
      { traceparent: fromHeader },
    );
    const [headerEvent = ""] = ((await viaHeader.json()) as { ids: string[] }).ids;
    expect(await firstEvent(await runFor(headerEvent))).toMatchObject({ traceparent: fromHeader });

    for (const traceparent of ["00-abc", `01-${TRACE}-${SPAN}-01`, `00-${"0".repeat(32)}-${SPAN}-01`]) {
      const refused = await send({ name: "test/tag-relayed", traceparent });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await refused.json())).toContain("traceparent");
    }
  });

  it("an invoked child run carries its parent run's trace and span", async () => {
    const parent = await client.invoke("test-tag-parent", { key: crypto.randomUUID() });
    const run = await client.waitForEnd(parent);
    const [child = ""] = (run.steps as { childRunIds?: string[] }[])[0]?.childRunIds ?? [];
    expect(await firstEvent(child)).toMatchObject({
      traceparent: `00-${traceIdOf(parent)}-${runSpanIdOf(parent)}-01`,
    });
  });

  it("a call to a remote app carries the run's span as its traceparent header", async () => {
    const registered = await SELF.fetch("http://stepwise/v1/apps", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ binding: "REMOTE_APP", path: "/api/stepwise" }),
    });
    expect(registered.status).toBe(201);
    const response = await send({ name: "remote/parallel", data: { n: 2 } }, { traceparent: TRACEPARENT });
    const [eventId = ""] = ((await response.json()) as { ids: string[] }).ids;
    const runId = await runFor(eventId);
    await client.waitUntil(runId, (run) => run.status === "completed");
    const calls = (await (await env.REMOTE_APP.fetch(`http://app/probe/calls?runId=${runId}`)).json()) as {
      traceparent: string | null;
    }[];
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((call) => call.traceparent))).toEqual(new Set([`00-${TRACE}-${runSpanIdOf(runId)}-01`]));
  });
});
