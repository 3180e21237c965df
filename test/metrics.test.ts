/**
 * `GET /v1/metrics`: Prometheus's text format, read from the EventShards and the run index.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, sendEvents } from "./helpers.ts";

const SAMPLE = /^([a-z_]+)(\{[^}]*\})? (-?[0-9.]+)$/;

/** The samples of a scrape, by name and labels, each line checked against the text format. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const match = SAMPLE.exec(line);
    expect(match, `not a sample line: ${line}`).not.toBeNull();
    samples.set(`${match![1]}${match![2] ?? ""}`, Number(match![3]));
  }
  return samples;
}

describe("the metrics endpoint", () => {
  it("counts events accepted, runs per function and status, run and step durations, waiting runs, and paused functions", async () => {
    await sendEvents([
      { name: "test/tag-relayed", data: { key: crypto.randomUUID() } },
      { name: "test/tag-relayed", data: { key: crypto.randomUUID() } },
    ]);
    const ran: string[] = [];
    for (let i = 0; i < 3; i++) ran.push((await client.run("test-parallel", { key: crypto.randomUUID(), n: 1 })).id);
    await SELF.fetch("http://stepwise/v1/functions/test-pausable/pause", { method: "POST" });
    // The index rows are written just after each run ends.
    const completed = async () =>
      (
        (await (await SELF.fetch("http://stepwise/v1/runs?function=test-parallel&status=completed")).json()) as {
          runs: { id: string }[];
        }
      ).runs.map((run) => run.id);
    await expect.poll(completed).toEqual(expect.arrayContaining(ran));

    const response = await SELF.fetch("http://stepwise/v1/metrics");
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toContain("# TYPE stepwise_events_accepted_total counter");
    expect(text).toContain("# TYPE stepwise_run_duration_seconds histogram");
    const samples = parse(text);
    expect(samples.get("stepwise_events_accepted_total")).toBeGreaterThanOrEqual(2);
    expect(samples.get("stepwise_events_unrouted")).toBeGreaterThanOrEqual(0);
    expect(samples.get('stepwise_runs{function="test-parallel",status="completed"}')).toBeGreaterThanOrEqual(3);
    const count = samples.get('stepwise_run_duration_seconds_count{function="test-parallel"}')!;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(samples.get('stepwise_run_duration_seconds_bucket{function="test-parallel",le="+Inf"}')).toBe(count);
    const buckets = [...samples]
      .filter(([key]) => key.startsWith('stepwise_run_duration_seconds_bucket{function="test-parallel"'))
      .map(([, n]) => n);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    // Each run's step attempts, counted when it ended.
    const steps = samples.get('stepwise_step_duration_seconds_count{function="test-parallel"}')!;
    expect(steps).toBeGreaterThanOrEqual(3);
    expect(samples.get('stepwise_step_duration_seconds_bucket{function="test-parallel",le="+Inf"}')).toBe(steps);
    const stepBuckets = [...samples]
      .filter(([key]) => key.startsWith('stepwise_step_duration_seconds_bucket{function="test-parallel"'))
      .map(([, n]) => n);
    expect(stepBuckets).toHaveLength(14);
    expect(stepBuckets).toEqual([...stepBuckets].sort((a, b) => a - b));
    expect(samples.get('stepwise_step_duration_seconds_sum{function="test-parallel"}')).toBeGreaterThanOrEqual(0);
    expect(samples.get('stepwise_runs_waiting{function="test-parallel",state="queued"}')).toBe(0);
    expect(samples.get('stepwise_function_paused{function="test-pausable",mode="paused"}')).toBe(1);
    await SELF.fetch("http://stepwise/v1/functions/test-pausable/resume", { method: "POST" });
  });
});
