/**
 * Starts and stops `npm run dev` (the README's command) for end-to-end tests, on a free port and
 * a state directory of the test's own. Stops the server by its own process group.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface DevServer {
  url: string;
  stop(): Promise<void>;
  /** Everything the server printed so far (its last 200,000 characters), to show when a test fails. */
  log(): string;
}

/** Starts the dev server (extra arguments go to wrangler dev) and resolves once it answers. */
export async function startDevServer(stateDir: string, port: number, extraArgs: string[] = []): Promise<DevServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["scripts/dev.mjs", "--port", String(port), "--ip", "127.0.0.1", ...extraArgs],
    {
      env: { ...process.env, STEPWISE_STATE_DIR: stateDir, WRANGLER_SEND_METRICS: "false" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const append = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000));
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dev server exited early:\n${output}`);
    try {
      // A public asset: it answers whether or not the server was started with keys.
      if ((await fetch(`${url}/dashboard/assets/app.css`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`dev server did not start in 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || !child.pid) return resolve();
        child.once("exit", () => resolve());
        process.kill(-child.pid, "SIGKILL");
      }),
  };
}

/**
 * GETs JSON from the dev server with a timeout, asking again when no answer comes: wrangler's
 * local proxy holds a GET whose connection to the Worker dropped until a reload that never comes
 * (docs/local-development.md), which would hang a test rather than fail it.
 */
export async function getJson<T>(url: string, { attempts = 4, timeoutMs = 15_000 } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    } catch (error) {
      const unanswered = error instanceof Error && (error.name === "TimeoutError" || error.name === "TypeError");
      if (!unanswered || attempt >= attempts) throw error;
    }
  }
}
