/**
 * Testing helpers: run a function through a Stepwise Worker's HTTP API and skip time, so a
 * three-day sleep or a retry backoff is tested in milliseconds. Works against `SELF` inside the
 * Workers vitest pool, or against any Stepwise URL.
 */
import { z } from "zod";
import { RUN_STATUSES, isEnded } from "../run-status.ts";

/** Anything that answers a Request the way `fetch` does (a base URL is turned into one). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export const testRunSchema = z.looseObject({
  id: z.string(),
  functionId: z.string(),
  status: z.enum(RUN_STATUSES),
  output: z.unknown().optional(),
  error: z.object({ name: z.string(), message: z.string() }).loose().optional(),
  nextWakeAt: z.string().optional(),
  failureRunId: z.string().optional(),
  steps: z.array(z.looseObject({ id: z.string(), status: z.string(), attempts: z.number() })),
});
export type TestRun = z.infer<typeof testRunSchema>;

/** Thrown when the API answers with an error, or a wait runs out of time. */
export class TestClientError extends Error {
  override name = "TestClientError";
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Fire timers (sleeps, retry backoffs) as soon as the run waits on one. */
  skipTime?: boolean;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Drives runs through the public HTTP API. */
export class TestClient {
  private readonly fetcher: FetchLike;

  constructor(target: FetchLike | string) {
    this.fetcher =
      typeof target === "string" ? (path, init) => fetch(new URL(path, target), init) : (path, init) => target(`http://stepwise${path}`, init);
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const init: RequestInit = { method, headers: { "content-type": "application/json" } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await this.fetcher(path, init);
    const json: unknown = await response.json();
    if (!response.ok) throw new TestClientError(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  }

  /** Starts a run of `functionId` with `data`; resolves to its run id. */
  async invoke(functionId: string, data: Record<string, unknown> = {}): Promise<string> {
    const answer = z.object({ runId: z.string() }).parse(await this.call("POST", `/v1/functions/${encodeURIComponent(functionId)}/invoke`, { data }));
    return answer.runId;
  }

  async getRun(runId: string): Promise<TestRun> {
    return testRunSchema.parse(await this.call("GET", `/v1/runs/${encodeURIComponent(runId)}`));
  }

  /** Fires the run's next timer now: a sleep ends, a retry backoff is cut short. */
  async skipTime(runId: string): Promise<boolean> {
    const answer = z.object({ woke: z.boolean() }).parse(await this.call("POST", `/v1/runs/${encodeURIComponent(runId)}/wake`));
    return answer.woke;
  }

  /** Waits until `done(run)` holds, polling; with `skipTime`, fires each timer the run waits on. */
  async waitUntil(runId: string, done: (run: TestRun) => boolean, options: WaitOptions = {}): Promise<TestRun> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      const run = await this.getRun(runId);
      if (done(run)) return run;
      if (Date.now() > deadline) throw new TestClientError(`Run ${runId} is still ${run.status} after waiting: ${JSON.stringify(run)}`);
      if (options.skipTime && run.nextWakeAt !== undefined) await this.skipTime(runId);
      else await pause(5);
    }
  }

  /** Waits until the run has ended: completed, failed, cancelled or skipped. */
  waitForEnd(runId: string, options: WaitOptions = {}): Promise<TestRun> {
    return this.waitUntil(runId, (run) => isEnded(run.status), options);
  }

  /** Invokes a function and runs it to its end, skipping every sleep and backoff. */
  async run(functionId: string, data: Record<string, unknown> = {}, options: WaitOptions = {}): Promise<TestRun> {
    const runId = await this.invoke(functionId, data);
    return this.waitForEnd(runId, { skipTime: true, ...options });
  }
}
