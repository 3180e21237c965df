/**
 * What `wrangler deploy` would ship from this repository: the dry-run bundle and its config.
 * Secure by default means production mode (no keys: 503) and none of the example functions,
 * whose common event names (`user/signed-up`) would otherwise start demo runs in a real account.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { examples } from "../../examples/index.ts";

const outdir = mkdtempSync(join(tmpdir(), "stepwise-dry-run-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function dryRun(): { output: string; bundle: string } {
  const result = spawnSync(
    process.execPath,
    ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--outdir", outdir],
    {
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
    },
  );
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${output}`);
  return { output, bundle: readFileSync(join(outdir, "index.js"), "utf8") };
}

describe("the deployable Worker", () => {
  const { output, bundle } = dryRun();

  it("deploys in production mode", () => {
    expect(output).toMatch(/env\.STEPWISE_ENV \("production"\)/);
    expect(output).not.toContain('"development"');
  });

  it("binds every object, the queue and the database", () => {
    for (const binding of [
      "RUN",
      "RUN_INDEX",
      "SWEEPER",
      "EVENT_SHARDS",
      "IDEMPOTENCY",
      "CRON",
      "WAITS",
      "BULK",
      "LIMITS",
      "GATES",
      "COLLECTORS",
      "EVENTS",
      "DB",
    ])
      expect(output).toContain(`env.${binding} `);
  });

  it("carries none of the example functions", () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const fn of examples) {
      expect(bundle).not.toContain(`"${fn.id}"`);
      for (const trigger of fn.triggers) if ("event" in trigger) expect(bundle).not.toContain(`"${trigger.event}"`);
    }
  });

  it("is the engine (the RPC entrypoint and the run object are in it)", () => {
    expect(bundle).toContain("StepwiseRpc");
    expect(bundle).toContain("RunObject");
  });
});
