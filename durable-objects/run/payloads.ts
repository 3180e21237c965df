/**
 * Large step results in R2 (the PAYLOADS bucket): a result past the inline limit is put there
 * before its step is recorded, and the history keeps a claim check (`{ key, bytes }`) instead.
 * A replay's request gets the values back from R2; retention deletes them with their run.
 */
import { runEventSchema, type RunEvent } from "../../sdk/protocol.ts";
import type { ChildOutcome, Claim, ExecutionRequest, ExecutionResponse, ReachedStep } from "../../sdk/protocol.ts";
import { MAX_INLINE_OUTPUT_BYTES, MAX_STEP_OUTPUT_BYTES } from "../../sdk/protocol.ts";
import type { RunView } from "../../sdk/runs.ts";
import type { Env } from "../../src/core/env.ts";
import { downloadUrl } from "../../src/core/payloads/download.ts";
import { keysOf } from "../../src/core/lib/keys.ts";
import { outputBytes } from "../../src/core/lib/json-size.ts";
import { runPrefix } from "../../src/core/payloads/keys.ts";
import { copyClaim } from "../../src/core/payloads/event-data.ts";
import type { RunState } from "./state.ts";

/** Values read back recently, so a run's drives do not fetch the same result on every replay. */
class ClaimCache {
  private readonly entries = new Map<string, unknown>();
  private bytes = 0;
  private readonly sizes = new Map<string, number>();
  constructor(private readonly maxBytes: number) {}

  get(key: string): unknown {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, value: unknown, bytes: number): void {
    if (bytes > this.maxBytes) return;
    while (this.bytes + bytes > this.maxBytes && this.entries.size > 0) {
      const [oldest] = this.entries.keys();
      if (oldest === undefined) break;
      this.bytes -= this.sizes.get(oldest) ?? 0;
      this.entries.delete(oldest);
      this.sizes.delete(oldest);
    }
    this.entries.set(key, value);
    this.sizes.set(key, bytes);
    this.bytes += bytes;
  }
}

/** A run's large results: put before recording, read back for replays, deleted with the run. */
export class PayloadStore {
  private readonly cache = new ClaimCache(64 * 1024 * 1024);

  constructor(
    private readonly bucket: R2Bucket | undefined,
    private readonly runId: string,
  ) {}

  /**
   * `response` with each step result past the inline limit put in R2 and replaced by its claim.
   * A claim an app sent is dropped (only the engine makes them); without a bucket, or past the
   * limit, results stay as they are, for the engine to refuse with a clear error.
   */
  async stash(response: ExecutionResponse): Promise<ExecutionResponse> {
    if (response.type === "completed") {
      const { claim: _forged, ...completed } = response;
      const claim = await this.put("result", completed.output, outputBytes(completed));
      return claim ? { ...completed, output: null, claim } : completed;
    }
    if (response.type !== "steps") return response;
    const steps = await Promise.all(response.steps.map((step) => this.stashStep(step)));
    return { ...response, steps };
  }

  /** A step as it is recorded: a result past the inline limit put in R2 and replaced by its claim. */
  async stashStep(step: ReachedStep): Promise<ReachedStep> {
    if (step.type !== "ran") return step;
    const { claim: _forged, ...ran } = step;
    const claim = await this.put(`steps/${encodeURIComponent(ran.id)}`, ran.output, outputBytes(step));
    return claim ? { ...ran, output: null, claim } : ran;
  }

  /**
   * Puts `value` at `name` under the run's prefix when it is past the inline limit (and within the
   * limit, which the engine enforces): its claim, or undefined when it stays inline. One key per
   * name, so a crash between the put and the record puts the same key again.
   */
  private async put(name: string, value: unknown, bytes: number): Promise<Claim | undefined> {
    if (!this.bucket || bytes <= MAX_INLINE_OUTPUT_BYTES || bytes > MAX_STEP_OUTPUT_BYTES) return undefined;
    const key = `${runPrefix(this.runId)}${name}`;
    await this.bucket.put(key, JSON.stringify(value ?? null), { httpMetadata: { contentType: "application/json" } });
    this.cache.set(key, value, bytes);
    return { key, bytes };
  }

  /**
   * The run's events with the data of each kept in R2 read back (the claim stays, so what is sent
   * on, such as a WaitIndex's copy, can be cut to what it needs: event-steps.ts).
   */
  async events(events: RunEvent[]): Promise<RunEvent[]> {
    if (!events.some((event) => event.claim)) return events;
    return Promise.all(
      events.map(async (event) =>
        event.claim ? { ...event, data: runEventSchema.shape.data.parse(await this.read(event.claim)) } : event,
      ),
    );
  }

  /** `request` with its events' data and every claimed result in its memo read back from R2. */
  async resolve(request: ExecutionRequest): Promise<ExecutionRequest> {
    if (request.events.some((event) => event.claim)) {
      const plain = (await this.events(request.events)).map(({ claim: _claim, ...event }) => event);
      request = { ...request, events: plain, event: plain[0] ?? request.event };
    }
    const waited = Object.entries(request.steps).filter(
      ([, memo]) =>
        memo.status === "completed" && memo.op === "wait" && JSON.stringify(memo.output).includes('"claim"'),
    );
    if (waited.length > 0) {
      const steps = { ...request.steps };
      for (const [id, memo] of waited)
        if (memo.status === "completed") steps[id] = { ...memo, output: await this.eventsIn(memo.output) };
      request = { ...request, steps };
    }
    const claimed = Object.entries(request.steps).filter(([, memo]) => memo.status === "completed" && memo.claim);
    if (claimed.length === 0) return request;
    const steps = { ...request.steps };
    await Promise.all(
      claimed.map(async ([id, memo]) => {
        if (memo.status !== "completed" || !memo.claim) return;
        const { claim: _claim, ...plain } = memo;
        steps[id] = { ...plain, output: await this.read(memo.claim) };
      }),
    );
    return { ...request, steps };
  }

  /**
   * Children's outcomes with each result a child kept in R2 read back, so the invoke step's own
   * result (then stashed under this run, if large) does not depend on the child's retention.
   */
  async childValues(outcomes: Record<string, ChildOutcome>): Promise<Record<string, ChildOutcome>> {
    const entries = await Promise.all(
      Object.entries(outcomes).map(async ([runId, outcome]): Promise<[string, ChildOutcome]> => {
        if (!outcome.ok || !outcome.claim) return [runId, outcome];
        const { claim, ...ended } = outcome;
        return [runId, { ...ended, output: await this.read(claim) }];
      }),
    );
    return Object.fromEntries(entries);
  }

  /** An event a wait took, whose data is kept in R2, as this run keeps it: its own copy. */
  async keepEvent(event: RunEvent): Promise<RunEvent> {
    if (!event.claim) return event;
    const key = `${runPrefix(this.runId)}waits/${encodeURIComponent(event.id)}`;
    return { ...event, data: {}, claim: await copyClaim(this.bucket, event.claim, key) };
  }

  /** A wait's output (an event, a list of them, or null) with the data of each kept in R2 read back. */
  private async eventsIn(value: unknown): Promise<unknown> {
    if (Array.isArray(value)) return Promise.all(value.map((item) => this.eventsIn(item)));
    const event = runEventSchema.safeParse(value);
    if (!event.success || !event.data.claim) return value;
    const { claim, ...rest } = event.data;
    return { ...rest, data: runEventSchema.shape.data.parse(await this.read(claim)) };
  }

  /** A claimed result's value. */
  async read(claim: Claim): Promise<unknown> {
    if (this.cache.has(claim.key)) return this.cache.get(claim.key);
    if (!this.bucket)
      throw new Error(`A value of this run is kept in R2 (${claim.key}) but no PAYLOADS bucket is bound`);
    const object = await this.bucket.get(claim.key);
    if (!object) throw new Error(`A value of this run kept in R2 is missing: ${claim.key}`);
    const value: unknown = await object.json();
    this.cache.set(claim.key, value, claim.bytes);
    return value;
  }
}

/** Deletes every result run `runId` kept in R2 (retention, with the run). */
export async function deletePayloads(bucket: R2Bucket | undefined, runId: string): Promise<void> {
  if (!bucket) return;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: runPrefix(runId), ...(cursor ? { cursor } : {}) });
    if (page.objects.length > 0) await bucket.delete(page.objects.map((object) => object.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

/** `view` with a signed download link on the run's result and each step's, when kept in R2. */
export async function linkClaims(env: Env, view: RunView, state: RunState): Promise<RunView> {
  const now = Date.now();
  // Links are signed with the API keys: a deployment reached only over its binding has none.
  const signable = keysOf(env.STEPWISE_API_KEYS).length > 0 || env.STEPWISE_ENV === "development";
  if (!env.PAYLOADS || !signable) return view;
  const link = async (claim: Claim | undefined) => (claim ? { outputUrl: await downloadUrl(env, claim.key, now) } : {});
  const steps = await Promise.all(
    view.steps.map(async (step) => ({ ...step, ...(await link(state.steps.get(step.id)?.claim)) })),
  );
  const eventDataUrls = state.events.some((event) => event.claim)
    ? await Promise.all(state.events.map(async (event) => (await link(event.claim)).outputUrl ?? null))
    : undefined;
  return { ...view, ...(await link(state.outputClaim)), ...(eventDataUrls ? { eventDataUrls } : {}), steps };
}
