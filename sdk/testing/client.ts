/**
 * TestClient: runs a function through a Stepwise Worker's HTTP API and skips time, so a
 * three-day sleep or a retry backoff is tested in milliseconds. Works against `SELF` inside the
 * Workers vitest pool, or against any Stepwise URL.
 */
import { z } from "zod";
import { RUN_STATUSES, isEnded } from "../run-status.ts";
import type { SendableEvent } from "../send.ts";

/** Anything that answers a Request the way `fetch` does (a base URL is turned into one). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A run as `GET /v1/runs/:id` shows it; fields not listed here are kept as they come. */
export const testRunSchema = z.looseObject({
  id: z.string(),
  functionId: z.string(),
  status: z.enum(RUN_STATUSES),
  output: z.unknown().optional(),
  error: z.object({ name: z.string(), message: z.string() }).loose().optional(),
  nextWakeAt: z.string().optional(),
  failureRunId: z.string().optional(),
  steps: z.array(z.looseObject({ id: z.string(), status: z.string(), attempts: z.number() })),
  /** The run's wait tokens: a test completes one by `POST`ing to its `url`. */
  tokens: z
    .array(z.looseObject({ id: z.string(), url: z.string(), stepId: z.string(), status: z.string() }))
    .optional(),
});
/** A run as {@link TestClient} reads it: status, output or error, next wake-up, steps. */
export type TestRun = z.infer<typeof testRunSchema>;

/** Thrown when the API answers with an error, or a wait runs out of time. */
export class TestClientError extends Error {
  override name = "TestClientError";
}

/**
 * Which timers a test fires instead of waiting for them. `"sleeps"`: sleeps and retry backoffs
 * only, so a `waitForEvent` keeps waiting for the event the test sends (an approval path);
 * `true`: every timer, wait and invoke timeouts included; `false`: none.
 */
export type SkipTime = boolean | "sleeps";

/** How {@link TestClient.waitUntil} and {@link TestClient.waitForEnd} wait. */
export interface WaitOptions {
  /** Give up (with a {@link TestClientError}) after this long; 10 seconds by default. */
  timeoutMs?: number;
  /** Fire timers as soon as the run waits on one; see {@link SkipTime}. */
  skipTime?: SkipTime;
}

const eventRunsSchema = z.object({ runs: z.array(z.looseObject({ id: z.string() })) });

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const path = (runId: string, action = ""): string => `/v1/runs/${encodeURIComponent(runId)}${action}`;

/**
 * Drives runs through the public HTTP API of a running Stepwise, skipping their sleeps and backoffs.
 *
 * @example
 * ```ts
 * import { SELF } from "cloudflare:test";
 * import { TestClient } from "stepwise/testing";
 *
 * const client = new TestClient(SELF);
 * const run = await client.run("welcome", { email: "ada@example.com" });
 * expect(run.status).toBe("completed");
 * ```
 */
export class TestClient {
  private readonly fetcher: FetchLike;

  /** `target`: the Worker's base URL, or a fetch-like function such as `SELF.fetch`. */
  constructor(target: FetchLike | string) {
    this.fetcher =
      typeof target === "string"
        ? (path, init) => fetch(new URL(path, target), init)
        : (path, init) => target(`http://stepwise${path}`, init);
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const init: RequestInit = { method, headers: { "content-type": "application/json" } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await this.fetcher(path, init);
    const json: unknown = await response.json();
    if (!response.ok)
      throw new TestClientError(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  }

  /** Starts a run of `functionId` with `data`; resolves to its run id. */
  async invoke(functionId: string, data: Record<string, unknown> = {}): Promise<string> {
    const answer = z
      .object({ runId: z.string() })
      .parse(await this.call("POST", `/v1/functions/${encodeURIComponent(functionId)}/invoke`, { data }));
    return answer.runId;
  }

  /** Sends events through `POST /v1/events`; resolves to their ids, in order. */
  async send(events: SendableEvent | SendableEvent[]): Promise<string[]> {
    return z.object({ ids: z.array(z.string()) }).parse(await this.call("POST", "/v1/events", events)).ids;
  }

  /**
   * The ids of the runs an event started, once at least `count` (default 1) have started: routing
   * is asynchronous (a queue), so a test that sent an event waits here before following its runs.
   */
  async runsOf(eventId: string, options: { count?: number; timeoutMs?: number } = {}): Promise<string[]> {
    const want = options.count ?? 1;
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      const answer = eventRunsSchema.parse(await this.call("GET", `/v1/events/${encodeURIComponent(eventId)}`));
      const ids = answer.runs.map((run) => run.id);
      if (ids.length >= want) return ids;
      if (Date.now() > deadline)
        throw new TestClientError(`Event ${eventId} started ${ids.length} run(s), not ${want}, within the wait`);
      await pause(5);
    }
  }

  /** The run's status, output or error, and steps. */
  async getRun(runId: string): Promise<TestRun> {
    return testRunSchema.parse(await this.call("GET", path(runId)));
  }

  /**
   * Fires the run's next timer now: a sleep ends, a retry backoff is cut short. With
   * `{ only: "sleeps" }`, only if that timer is a sleep or a backoff (a wait's timeout is left
   * alone). Resolves to whether a timer fired.
   */
  async skipTime(runId: string, options: { only?: "sleeps" } = {}): Promise<boolean> {
    const body = options.only ? { only: options.only } : undefined;
    const answer = z.object({ woke: z.boolean() }).parse(await this.call("POST", path(runId, "/wake"), body));
    return answer.woke;
  }

  /** Waits until `done(run)` holds, polling; with `skipTime`, fires the timers the run waits on. */
  async waitUntil(runId: string, done: (run: TestRun) => boolean, options: WaitOptions = {}): Promise<TestRun> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    const skip = options.skipTime ?? false;
    for (;;) {
      const run = await this.getRun(runId);
      if (done(run)) return run;
      if (Date.now() > deadline)
        throw new TestClientError(`Run ${runId} is still ${run.status} after waiting: ${JSON.stringify(run)}`);
      const woke =
        skip !== false &&
        run.nextWakeAt !== undefined &&
        (await this.skipTime(runId, skip === "sleeps" ? { only: "sleeps" } : {}));
      if (!woke) await pause(5);
    }
  }

  /** Waits until the run has ended: completed, failed, cancelled or skipped. */
  waitForEnd(runId: string, options: WaitOptions = {}): Promise<TestRun> {
    return this.waitUntil(runId, (run) => isEnded(run.status), options);
  }

  /** Invokes a function and runs it to its end, skipping every sleep and backoff (and timeout). */
  async run(functionId: string, data: Record<string, unknown> = {}, options: WaitOptions = {}): Promise<TestRun> {
    const runId = await this.invoke(functionId, data);
    return this.waitForEnd(runId, { skipTime: true, ...options });
  }
}
