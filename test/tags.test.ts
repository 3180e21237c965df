import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, sendEvents } from "./helpers.ts";

const invoke = async (functionId: string, body: unknown) =>
  SELF.fetch(`http://stepwise/v1/functions/${functionId}/invoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const listed = async (query: string): Promise<string[]> => {
  const answer = (await (await SELF.fetch(`http://stepwise/v1/runs?${query}`)).json()) as { runs: { id: string }[] };
  return answer.runs.map((run) => run.id);
};

describe("tags and metadata keys", () => {
  it("a run's tags are kept by its child runs, shown with the run, and filter the run index", async () => {
    const tag = `customer:${crypto.randomUUID().slice(0, 8)}`;
    const response = await invoke("test-tag-parent", { data: { key: crypto.randomUUID() }, tags: [tag, "plan:pro"] });
    expect(response.status).toBe(201);
    const { runId } = (await response.json()) as { runId: string };
    const parent = await client.waitForEnd(runId);
    expect(parent.tags).toEqual([tag, "plan:pro"]);
    await expect.poll(() => listed(`tag=${encodeURIComponent(tag)}`)).toHaveLength(2);
    const both = await listed(`tag=${encodeURIComponent(tag)}`);
    expect(both).toContain(runId);
    const child = both.find((id) => id !== runId) ?? "";
    expect(await listed("tag=child-own&function=test-parallel")).toContain(child);
    expect((await client.getRun(child)).tags).toEqual([tag, "plan:pro", "child-own"]);
    expect(await listed(`tag=${encodeURIComponent(tag)}&function=test-tag-parent`)).toEqual([runId]);

    const overRpc = await env.CALLER.call("listRuns", [{ tag }]);
    expect(overRpc).toMatchObject({ ok: true });
    expect((overRpc as { value: { runs: { id: string }[] } }).value.runs.map((r) => r.id).sort()).toEqual(
      [...both].sort(),
    );
  });

  it("runs are found by a key their metadata has, once a step set it", async () => {
    const key = crypto.randomUUID();
    const run = await client.run("test-progress", { key, n: 2 });
    await expect.poll(() => listed("metadataKey=done&function=test-progress")).toContain(run.id);
    expect(await listed("metadataKey=phase&function=test-progress")).not.toContain(run.id);
  });

  it("the dashboard filters runs by tag and shows a run's tags and metadata", async () => {
    const tag = `dash-${crypto.randomUUID().slice(0, 8)}`;
    const { runId } = (await (await invoke("test-progress", { data: { key: tag, n: 1 }, tags: [tag] })).json()) as {
      runId: string;
    };
    await client.waitForEnd(runId);
    const other = await client.invoke("test-progress", { key: "other", n: 1 });
    await client.waitForEnd(other);
    await expect
      .poll(async () => (await (await SELF.fetch(`http://stepwise/dashboard/runs?tag=${tag}`)).text()).includes(runId))
      .toBe(true);
    const page = await (await SELF.fetch(`http://stepwise/dashboard/runs?tag=${tag}`)).text();
    expect(page).not.toContain(other);
    const detail = await (await SELF.fetch(`http://stepwise/dashboard/runs/${runId}`)).text();
    expect(detail).toContain(`href="/dashboard/runs?tag=${tag}"`);
    expect(detail).toContain("<h2>Metadata</h2>");
  });

  it("an event's tags go to the runs it starts; an event a run sends carries the run's tags first", async () => {
    const tag = `order:${crypto.randomUUID().slice(0, 8)}`;
    await sendEvents({ name: "test/tag-relay", data: { key: tag }, tags: [tag] });
    await expect.poll(() => listed(`tag=${encodeURIComponent(tag)}`), { timeout: 10_000 }).toHaveLength(2);
    const [relayId] = await listed(`tag=${encodeURIComponent(tag)}&function=test-tag-relay`);
    const [relayedId] = await listed(`tag=relayed&function=test-tag-relayed`);
    expect((await client.waitForEnd(relayId ?? "")).tags).toEqual([tag]);
    const relayed = await client.waitForEnd(relayedId ?? "");
    expect(relayed.tags).toEqual([tag, "relayed"]);
    expect(relayed.output).toEqual({ tags: [tag, "relayed"] });
    const refused = await SELF.fetch("http://stepwise/v1/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "test/tag-relay", tags: ["has space"] }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("a tag has no spaces or commas");
  });

  it("refuses more than 10 tags, or a tag with a space, with the zod issues", async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `t${i}`);
    const tooMany = await invoke("test-progress", { data: {}, tags: eleven });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).toContain("at most 10 tags");
    expect((await invoke("test-progress", { data: {}, tags: ["has space"] })).status).toBe(400);
  });
});
