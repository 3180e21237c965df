/**
 * The package as a user gets it: `npm pack`, each template copied outside this tree, the tarball
 * installed there, and then the template's own tests, `wrangler deploy --dry-run`, and its
 * `npm run dev` answering the way its README says.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./dev-server.ts";

const work = mkdtempSync(join(tmpdir(), "stepwise-templates-"));
let tarball = "";
const servers: ChildProcess[] = [];

afterAll(() => {
  for (const server of servers) if (server.pid && server.exitCode === null) process.kill(-server.pid, "SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

const quiet = {
  WRANGLER_SEND_METRICS: "false",
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false",
};

function run(command: string, args: string[], cwd: string): string {
  try {
    // Without colour codes, so the output can be read.
    const output = execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: "pipe",
      env: { ...process.env, ...quiet },
      maxBuffer: 64 * 1024 * 1024,
    });
    return output.replace(/\x1b\[[0-9;]*m/g, "");
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${failed.stdout ?? ""}${failed.stderr ?? ""}`);
  }
}

/** Copies a template out of the tree and installs the packed Stepwise into it. */
function install(template: string): string {
  const dir = join(work, template);
  cpSync(resolve("templates", template), dir, {
    recursive: true,
    filter: (path) => !/(^|\/)(node_modules|\.wrangler)(\/|$)/.test(path),
  });
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  manifest.dependencies.stepwise = `file:${tarball}`;
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], dir);
  return dir;
}

/** `npm run dev` of a template on a free port; resolves once it answers. */
async function dev(dir: string): Promise<string> {
  const port = await freePort();
  const child = spawn("npm", ["run", "dev", "--", "--port", String(port), "--ip", "127.0.0.1"], {
    cwd: dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...quiet },
  });
  servers.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited:\n${output}`);
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      return url;
    if (Date.now() > deadline) throw new Error(`npm run dev did not answer in 90 s:\n${output}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(() => {
  run("npm", ["pack", "--pack-destination", work], process.cwd());
  const packed = readdirSync(work).find((name) => name.endsWith(".tgz"));
  if (!packed) throw new Error("npm pack made no tarball");
  tarball = join(work, packed);
}, 120_000);

describe("the packed package", () => {
  it("ships compiled JavaScript, types, the migrations and the command, and no sources or tests", () => {
    const files = run("tar", ["tzf", tarball], work).split("\n");
    for (const file of [
      "package/dist/sdk/index.js",
      "package/dist/sdk/index.d.ts",
      "package/dist/src/worker.js",
      "package/dist/sdk/testing/index.js",
      "package/dist/sdk/node.js",
      "package/cli/stepwise.mjs",
      "package/migrations/0001_runs.sql",
    ]) {
      expect(files).toContain(file);
    }
    expect(
      files.filter((file) => /\.test\.|\/examples\/|dist\/src\/dev\.|\.ts$/.test(file) && !file.endsWith(".d.ts")),
    ).toEqual([]);
  });
});

describe("templates/embedded, installed from the tarball", () => {
  let dir = "";
  beforeAll(() => {
    dir = install("embedded");
  }, 240_000);

  it("passes its own tests (workerd and in-memory)", () => {
    expect(run("npm", ["test"], dir)).toMatch(/Tests\s+4 passed/);
  }, 120_000);

  it("builds for deploy in production mode", () => {
    const output = run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", join(work, "embedded-out")], dir);
    expect(output).toContain('env.STEPWISE_ENV ("production")');
    expect(output).toContain("--dry-run: exiting now.");
  }, 60_000);

  it("npm run dev runs hello: an app/hello event greets after the sleep", async () => {
    const url = await dev(dir);
    const sent = (await (
      await fetch(`${url}/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "app/hello", data: { name: "Ada" } }),
      })
    ).json()) as { ids: string[] };
    const event = await poll(
      async () => (await (await fetch(`${url}/v1/events/${sent.ids[0]}`)).json()) as { runs: { id: string }[] },
      (answer) => answer.runs.length === 1,
      "the event's run",
    );
    const run = await poll(
      async () =>
        (await (await fetch(`${url}/v1/runs/${event.runs[0]!.id}`)).json()) as { status: string; output?: unknown },
      (answer) => answer.status === "completed",
      "the run",
    );
    expect(run.output).toEqual({ greeting: "Hello, Ada" });
  }, 150_000);
});

describe("templates/app, installed from the tarball", () => {
  let dir = "";
  beforeAll(() => {
    dir = install("app");
  }, 240_000);

  it("imports in plain Node, with no TypeScript loader", () => {
    const script = `Promise.all(["stepwise", "stepwise/node", "stepwise/testing"].map((name) => import(name))).then((mods) => console.log(mods.map((m) => Object.keys(m).length).join(",")))`;
    expect(run(process.execPath, ["--input-type=module", "-e", script], dir).trim()).toMatch(/^\d+,\d+,\d+$/);
  });

  it("passes its own tests", () => {
    expect(run("npm", ["test"], dir)).toMatch(/Tests\s+2 passed/);
  }, 120_000);

  it("builds for deploy", () => {
    const output = run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", join(work, "app-out")], dir);
    expect(output).toContain("env.STEPWISE (stepwise#StepwiseRpc)");
  }, 60_000);

  it("npm run dev starts the app and Stepwise together: it registers, sends an event, and its function runs", async () => {
    const url = await dev(dir);
    const registered = await fetch(`${url}/api/stepwise`, { method: "PUT" });
    expect(registered.status).toBe(200);
    expect(await registered.json()).toMatchObject({ app: { id: "my-app", functions: ["send-welcome"] } });
    expect((await fetch(`${url}/signup?email=ada@example.com`, { method: "POST" })).status).toBe(202);
    const { runs } = await poll(
      async () => (await (await fetch(`${url}/runs`)).json()) as { runs: { status: string; createdAt: string }[] },
      (page) => page.runs[0]?.status === "completed",
      "the app's run",
    );
    expect(runs[0]?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  }, 150_000);
});
