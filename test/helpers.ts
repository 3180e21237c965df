/**
 * Helpers for the workerd tests: talk to the Worker through its HTTP API, like a user would.
 */
import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { TestClient } from "../sdk/testing/index.ts";

export const client = new TestClient((input, init) => SELF.fetch(input, init));

/** Sends events through `POST /v1/events`; returns their ids. */
export async function sendEvents(body: unknown): Promise<string[]> {
  const response = await SELF.fetch("http://stepwise/v1/events", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return ((await response.json()) as { ids: string[] }).ids;
}

/** The run an event started (of `functionId`, when it started several), once the index has it. */
export async function runFor(eventId: string, functionId?: string): Promise<string> {
  let runId: string | undefined;
  await expect
    .poll(async () => {
      const detail = (await (await SELF.fetch(`http://stepwise/v1/events/${eventId}`)).json()) as {
        runs: { id: string; functionId: string }[];
      };
      runId = detail.runs.find((run) => functionId === undefined || run.functionId === functionId)?.id;
      return runId;
    })
    .toBeDefined();
  return runId!;
}
