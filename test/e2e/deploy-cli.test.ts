/**
 * `npm run deploy` / `npx stepwise deploy`. There is no Cloudflare account where the tests run, so
 * the steps that need one run against a recording stand-in for wrangler (fixtures/fake-wrangler.mjs)
 * on a copy of the repository's wrangler.toml; the dry run runs the real wrangler.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stepwise-deploy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLACEHOLDER = "00000000-0000-0000-0000-000000000000";

function stepwise(
  args: string[],
  fake?: Record<string, string>,
  edit = (toml: string) => toml,
): { status: number; output: string; calls: string[][]; config: string } {
  const config = join(dir, `wrangler-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(config, edit(readFileSync("wrangler.toml", "utf8")));
  const log = `${config}.calls`;
  const env = {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    ...(fake
      ? { STEPWISE_WRANGLER: resolve("test/e2e/fixtures/fake-wrangler.mjs"), FAKE_WRANGLER_LOG: log, ...fake }
      : {}),
  };
  const result = spawnSync(process.execPath, ["cli/stepwise.mjs", ...args, ...(fake ? ["-c", config] : [])], {
    encoding: "utf8",
    env,
  });
  const calls = fake
    ? readFileSync(log, { encoding: "utf8", flag: "a+" })
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[])
    : [];
  return {
    status: result.status ?? 1,
    output: `${result.stdout}${result.stderr}`,
    calls,
    config: readFileSync(config, "utf8"),
  };
}

const KEYS = "STEPWISE_API_KEYS,STEPWISE_EVENT_KEYS";
const verbs = (calls: string[][]) =>
  calls.map((call) => call.filter((arg) => !arg.startsWith("-") && !arg.endsWith(".toml")).join(" "));

describe("stepwise deploy", () => {
  it("--dry-run prints every step and runs only wrangler deploy --dry-run", () => {
    const { status, output } = stepwise(["deploy", "--dry-run"]);
    expect(status).toBe(0);
    for (const step of [
      "secret list",
      "d1 list",
      "d1 create stepwise",
      "queues info stepwise-events",
      "d1 migrations apply DB --remote",
      "deploy -c",
    ])
      expect(output).toContain(`wrangler ${step}`);
    expect(output).toContain("--dry-run: exiting now.");
    expect(output).toContain("nothing was created, migrated or deployed");
  });

  it("refuses while the keys are not secrets, before creating anything", () => {
    const { status, output, calls } = stepwise(["deploy"], { FAKE_SECRETS: "STEPWISE_API_KEYS" });
    expect(status).toBe(1);
    expect(output).toContain("refusing to deploy: STEPWISE_EVENT_KEYS is not set as secrets");
    expect(output).toContain("wrangler secret put");
    expect(verbs(calls)).toEqual(["secret list json"]);
  });

  it("creates the database and the queue when missing, writes the database id, migrates, deploys", () => {
    const { status, output, calls, config } = stepwise(["deploy"], { FAKE_SECRETS: KEYS });
    expect(status, output).toBe(0);
    expect(verbs(calls)).toEqual([
      "secret list json",
      "d1 list",
      "d1 create stepwise",
      "queues info stepwise-events",
      "queues create stepwise-events",
      "d1 migrations apply DB",
      "deploy",
    ]);
    expect(calls.find((call) => call[1] === "migrations")).toContain("--remote");
    expect(config).toContain('database_id = "5f0c1c5e-1111-4222-8333-944455556666"');
    expect(config).not.toContain(PLACEHOLDER);
  });

  it("uses what exists and creates nothing", () => {
    const databases = JSON.stringify([{ uuid: "0a0b0c0d-0000-4000-8000-000000000001", name: "stepwise" }]);
    const { status, calls, config } = stepwise(["deploy"], {
      FAKE_SECRETS: KEYS,
      FAKE_DATABASES: databases,
      FAKE_QUEUES: "stepwise-events",
    });
    expect(status).toBe(0);
    expect(verbs(calls)).toEqual([
      "secret list json",
      "d1 list",
      "queues info stepwise-events",
      "d1 migrations apply DB",
      "deploy",
    ]);
    expect(config).toContain('database_id = "0a0b0c0d-0000-4000-8000-000000000001"');
  });

  it("creates every events queue, and refuses one that is sent to but not consumed", () => {
    const second = `[[queues.producers]]\nbinding = "EVENTS_1"\nqueue = "stepwise-events-1"\n`;
    const consumer = `[[queues.consumers]]\nqueue = "stepwise-events-1"\n`;
    const both = stepwise(["deploy"], { FAKE_SECRETS: KEYS, FAKE_QUEUES: "stepwise-events" }, (toml) =>
      toml.replace("[[d1_databases]]", `${second}\n${consumer}\n[[d1_databases]]`),
    );
    expect(both.status, both.output).toBe(0);
    expect(verbs(both.calls)).toContain("queues create stepwise-events-1");
    const unconsumed = stepwise(["deploy"], { FAKE_SECRETS: KEYS }, (toml) =>
      toml.replace("[[d1_databases]]", `${second}\n[[d1_databases]]`),
    );
    expect(unconsumed.status).toBe(1);
    expect(unconsumed.output).toContain('"stepwise-events-1" (binding EVENTS_1) but does not consume it');
    expect(unconsumed.calls).toEqual([]);
    const gap = stepwise(["deploy"], { FAKE_SECRETS: KEYS }, (toml) =>
      toml.replace("[[d1_databases]]", `${second.replaceAll("EVENTS_1", "EVENTS_2")}\n${consumer}\n[[d1_databases]]`),
    );
    expect(gap.status).toBe(1);
    expect(gap.output).toContain("EVENTS_1 to EVENTS_15, numbered from 1 without gaps");
    expect(gap.calls).toEqual([]);
  });

  it("refuses a config that would deploy the open development mode", () => {
    const { status, output, calls } = stepwise(["deploy"], { FAKE_SECRETS: KEYS }, (toml) =>
      toml.replace('STEPWISE_ENV = "production"', 'STEPWISE_ENV = "development"'),
    );
    expect(status).toBe(1);
    expect(output).toContain('STEPWISE_ENV = "development", which leaves the API open');
    expect(calls).toEqual([]);
  });
});
