/**
 * RunObject: one Durable Object per run. A thin shell: RPC and the alarm come in, the runner and
 * the state machine decide, the journal persists. All driving happens here, one drive at a time.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import {
  childOutcomeSchema,
  runEventSchema,
  type ChildOutcome,
  type RunEvent,
  type SerializedError,
} from "../../sdk/protocol.ts";
import type { Env } from "../../src/core/env.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { getFunction } from "../../src/core/functions/catalog.ts";
import { engineConfig, hostOf, rulesOf } from "./engine-config.ts";
import { shownEntry, type HistoryEntry, type HistoryEvent } from "./history.ts";
import { decide, decideWaitEvent } from "./engine.ts";
import { childEndedEvent, settleChildren } from "./children.ts";
import { decideReschedule, type RescheduleAnswer } from "./reschedule.ts";
import { indexRuns } from "../../src/core/run-index/write.ts";
import { listenAgain, noteKeyedFromStart } from "./event-steps.ts";
import { replayFromSchema, replayPlanOf, type ReplayFrom, type ReplayPlan, type StoredJson } from "./replay.ts";
import { checkpointInputSchema, checkpointRefusal, type CheckpointInput } from "./checkpoint.ts";
import { historyPageSchema, Journal } from "./journal.ts";
import { closeWatcher, LiveFeed } from "../live/live-feed.ts";
import { changesStatus, kvAckStore, RunIndexWriter } from "./run-index.ts";
import { driveRun } from "./runner.ts";
import { DriveQueue, type DriveRequest } from "./drive-queue.ts";
import { hostPorts, openCallsIn, type RunHost } from "./host-ports.ts";
import { apply, foldHistory, initialState, runStatus, waitPartOpen, type RunState } from "./state.ts";
import { resumeAt } from "./resume.ts";
import { nextSleepWake, nextWake } from "./timers.ts";
import { runView, type RunView } from "./view.ts";
import { startRunSchema, type StartRun } from "../../src/core/runs/start.ts";
import { tokenViews, type TokenView } from "./tokens.ts";
import { deletePayloads, linkClaims, PayloadStore } from "./payloads.ts";
import { settleCancelled } from "./cancelled.ts";
import { takeCompletion, type TokenCompletionAnswer, type TokenCompletionInput } from "./token-intake.ts";
import { broadcast, hasSubscribers } from "../realtime/subscribers.ts";
import { runBefore, runMessages, subscribeToRun } from "./realtime-feed.ts";

/** An alarm this close after the run's due time is left as it is (not re-armed for nothing). */
const RESUME_SLACK_MS = 1_000;

/** A new run's first alarm: resumes it within seconds if the object dies before the run index has it. */
const FIRST_WATCHDOG_MS = 5_000;

export class RunObject extends DurableObject<Env> {
  private readonly journal: Journal;
  private readonly index: RunIndexWriter;
  private readonly live: LiveFeed;
  private cached: RunState | undefined;
  /** The ids of this run's calls under way that an Inngest app may checkpoint into (memory only: a restart ends them). */
  private readonly openCalls = new Set<string>();
  private payloadStore: PayloadStore | undefined;
  /** The run's large values in R2 (one store per object, so its cache lasts across drives). */
  private readonly payloadsOf = (runId: string) => (this.payloadStore ??= new PayloadStore(this.env.PAYLOADS, runId));

  /** One drive at a time (see drive-queue.ts). */
  private readonly drives = new DriveQueue((request) => this.driveRun(request));

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.journal = new Journal(ctx.storage.sql);
    this.live = new LiveFeed(ctx);
    this.index = new RunIndexWriter(
      (row) => indexRuns(env, [row]),
      () => this.load(),
      kvAckStore(ctx.storage.kv),
      (at) => this.alarmBy(at),
    );
  }

  private load(): RunState | undefined {
    this.cached ??= foldHistory(this.journal.readAll());
    return this.cached;
  }

  private record(events: HistoryEvent[]): HistoryEntry[] {
    const state = this.load();
    const before = hasSubscribers(this.ctx) ? runBefore(state) : undefined;
    const entries = this.journal.append(events, state?.lastSeq ?? 0, Date.now());
    for (const entry of entries) {
      if (this.cached) apply(this.cached, entry);
      else this.cached = initialState(entry);
    }
    if (before && this.cached) broadcast(this.ctx, runMessages(before, this.cached, entries));
    if (changesStatus(events)) this.syncIndex();
    const last = entries.at(-1);
    if (last) this.live.changed({ type: "changed", seq: last.seq });
    return entries;
  }

  /**
   * Creates the run and starts driving it at once, without waiting for the call to return. The
   * alarm armed first is the safety net: if the object dies before the drive ends, the alarm
   * resumes the run; if the drive ends first, it clears the alarm. Starting an existing run
   * changes nothing.
   */
  async start(input: StartRun): Promise<{ runId: string; created: boolean }> {
    const run = parseInput(startRunSchema, input, "run start");
    if (this.load()) return { runId: run.runId, created: false };
    const { replay, ...created } = run;
    this.record([
      { type: "run.created", ...created, ...(replay ? { replayOf: replay.of } : {}) },
      ...(replay?.steps ?? []).map((step) => ({
        type: "step.completed" as const,
        ...step,
        attempt: 0,
        replayedFrom: replay?.of,
      })),
    ]);
    noteKeyedFromStart(this.ctx.storage);
    // Sooner than a drive's watchdog: a run killed in its first moments may not be in the run
    // index yet, where the start-up pass looks for live runs, so its own alarm must find it.
    await this.ctx.storage.setAlarm(Date.now() + FIRST_WATCHDOG_MS);
    this.drives
      .request({ watchdog: false })
      .catch((error: unknown) => console.error(`stepwise: run ${run.runId} stopped; its alarm resumes it`, error));
    return { runId: run.runId, created: true };
  }

  /** The runtime retries an alarm whose handler did not finish, so no watchdog is needed here. */
  override async alarm(): Promise<void> {
    await this.drives.request({ watchdog: false });
  }

  /**
   * Fires the run's next timer now: a sleep ends early, a retry backoff is cut short. With
   * `only: "sleeps"`, only a sleep or a backoff that fires nothing else (a test leaves waits to
   * their events). Resolves once the run has gone as far as it can.
   */
  async wake(only?: "sleeps"): Promise<{ woke: boolean; status: RunView["status"] | undefined }> {
    const state = this.load();
    const at = !state ? undefined : only === "sleeps" ? nextSleepWake(state, Date.now()) : nextWake(state, Date.now());
    if (at !== undefined) await this.drives.request({ skipTo: at, watchdog: true });
    const after = this.load();
    return { woke: at !== undefined, status: after ? runView(after, Date.now()).status : undefined };
  }

  /**
   * After a restart (the start-up pass of the EventSweeper): moves the alarm earlier when it is
   * later than the run's next thing to do, or missing. A drive the restart cut off left only the
   * watchdog, a minute out, so without this the run would stand still that long. Cheap: reads the
   * history, and at most sets the alarm; the alarm does the driving.
   */
  async resume(): Promise<{ at: number | null; rearmed: boolean }> {
    const state = this.load();
    const armed = await this.ctx.storage.getAlarm();
    // A drive under way owns the alarm; between drives the object keeps nothing in memory.
    if (this.drives.busy) return { at: armed, rearmed: false };
    // A row the index never took (an ended run it still lists as live) is owed now.
    const at = state ? (this.index.owed() ? Date.now() : resumeAt(state, Date.now())) : undefined;
    this.cached = undefined;
    if (at === undefined || (armed !== null && armed <= at + RESUME_SLACK_MS)) return { at: armed, rearmed: false };
    await this.ctx.storage.setAlarm(at);
    return { at, rearmed: true };
  }

  /**
   * Cancels the run: a sleeping or retrying run stops now (its alarm is cleared), a running one
   * at its next step boundary (the step in flight finishes but its result is not recorded).
   */
  async cancel(why = "cancelled by request"): Promise<{ cancelled: boolean; status: RunView["status"] } | null> {
    const reason = parseInput(z.string(), why, "cancel reason");
    const state = this.load();
    if (!state) return null;
    if (state.terminal) return { cancelled: false, status: state.terminal };
    this.record([{ type: "run.cancelled", reason: reason.slice(0, 1_000) }]);
    // Its flow control keys and wait targets are read from its event, whose data may be in R2.
    const trigger = await this.payloadsOf(state.runId).events(state.events);
    const triggered = (): RunState => ({ ...(this.load() ?? state), events: trigger });
    if (!this.drives.busy) await settleCancelled(this.env, this.ctx.storage, triggered);
    return { cancelled: true, status: "cancelled" };
  }

  /** Moves a scheduled run's start (to now, when `startAt` has passed); refused once it started. */
  async reschedule(startAt: number): Promise<RescheduleAnswer | null> {
    const state = this.load();
    if (!state) return null;
    const decided = decideReschedule(state, parseInput(z.number().int(), startAt, "start time"), Date.now());
    if (!decided.ok) return decided;
    this.record(decided.events);
    await this.alarmBy(decided.at);
    return { ok: true, startAt: new Date(decided.at).toISOString() };
  }

  /**
   * An event for a waiting step (from the WaitIndex). Taken only while the step still waits: an
   * event racing the timeout, or a second event, changes nothing. The run goes on at once.
   */
  async resumeWait(stepId: string, event: RunEvent, part = 0): Promise<{ resumed: boolean; stillWaiting: boolean }> {
    const arrived = parseInput(runEventSchema, event, "event");
    // An event whose data is in R2 is copied under this run first, so the run keeps what it took.
    const before = this.load();
    if (!before) return { resumed: false, stillWaiting: false };
    const kept = arrived.claim ? await this.payloadsOf(before.runId).keepEvent(arrived) : arrived;
    const state = this.load() ?? before;
    const events = decideWaitEvent(state, stepId, part, kept);
    // Refused while the part still waits (another wait of the run took the event): the index keeps it.
    if (events.length === 0) return { resumed: false, stillWaiting: waitPartOpen(state, stepId, part) };
    this.record(events);
    if (state.steps.get(stepId)?.status === "completed") this.driveNow(state.runId);
    return { resumed: true, stillWaiting: false };
  }

  /** A child run of an invoke step has ended; once all have, the step ends and the run goes on. */
  async childEnded(stepId: string, outcome: ChildOutcome): Promise<{ accepted: boolean }> {
    const state = this.load();
    const ended = childEndedEvent(state, stepId, parseInput(childOutcomeSchema, outcome, "child outcome"));
    if (!state || !ended) return { accepted: false };
    this.record([ended]);
    const fn = await getFunction(this.env, state.functionId);
    const config = engineConfig(fn?.config, rulesOf(fn), hostOf(this.env, fn));
    const decided = await settleChildren(() => this.load(), this.payloadsOf(state.runId), stepId, config);
    if (decided.length > 0) {
      this.record(decided);
      this.driveNow(state.runId);
    }
    return { accepted: true };
  }

  /**
   * Steps an Inngest app ran inside a call still under way (its SDK checkpointing), recorded as if
   * the call had answered with them. Only for a call this object has open, of this run's
   * function, with steps that are new (or already recorded, when the SDK sends one again):
   * anything else is stale and refused, and the SDK stops that call.
   */
  async checkpoint(input: CheckpointInput): Promise<{ accepted: boolean; why?: string } | null> {
    const { callId, functionId, steps } = parseInput(checkpointInputSchema, input, "checkpoint");
    const state = this.load();
    if (!state) return null;
    const why = checkpointRefusal(state, this.openCalls.has(callId), functionId, steps);
    if (why) return { accepted: false, why };
    const fn = await getFunction(this.env, state.functionId);
    const config = engineConfig(fn?.config, rulesOf(fn), hostOf(this.env, fn));
    const now = this.load() ?? state;
    const fresh = steps.filter((step) => !now.steps.has(step.id));
    if (fresh.length > 0 && this.openCalls.has(callId))
      this.record(decide(now, { type: "steps", steps: fresh }, config, { now: Date.now(), random: Math.random }));
    return { accepted: true };
  }

  /**
   * Completes one of this run's wait tokens with the body sent (`text`, JSON), once: a token
   * already completed, expired, or of an ended run is refused, and a token made with a secret takes
   * only a completion signed with it (unless `trusted`: an operator with an API key). The step
   * waiting for it, if any, ends, and the run goes on at once.
   */
  async completeToken(input: TokenCompletionInput): Promise<TokenCompletionAnswer> {
    const taken = await takeCompletion(() => this.load(), input);
    if ("refusal" in taken) return { ok: false, refusal: taken.refusal };
    this.record(taken.events);
    const resumed = taken.events.length > 1;
    if (resumed) this.driveNow(taken.runId);
    return { ok: true, value: { tokenId: taken.tokenId, runId: taken.runId, resumed } };
  }

  /** A `cancelOn` event arrived: the run is cancelled, as by {@link cancel}. */
  async cancelByEvent(event: RunEvent): Promise<{ resumed: boolean; stillWaiting: boolean }> {
    const arrived = parseInput(runEventSchema, event, "event");
    const result = await this.cancel(`cancelled by event "${arrived.name}" (${arrived.id})`);
    return { resumed: result?.cancelled ?? false, stillWaiting: false };
  }

  /** Registers the run's waits and `cancelOn` again, as at any registration (src/waits/relisten.ts says why). */
  async relisten(): Promise<void> {
    const state = this.load();
    if (!state || state.terminal) return;
    const host = {
      current: () => this.load() ?? state,
      record: (events: HistoryEvent[]) => void this.record(events),
      cancel: async (reason: string) => void (await this.cancel(reason)),
    };
    if (await listenAgain(this.env, host)) this.driveNow(state.runId);
  }

  /** Drives a live run now (a slot it waited for is its, or its function resumed); false when it has ended or is unknown. */
  async nudge(): Promise<boolean> {
    const state = this.load();
    if (state && !state.terminal) this.driveNow(state.runId);
    return state !== undefined && !state.terminal;
  }

  /** What a replay of this run starts with; refused unless the run failed or was cancelled. */
  async replayPlan(from: ReplayFrom): Promise<ReplayPlan | null> {
    const state = this.load();
    return state ? replayPlanOf(state, parseInput(replayFromSchema, from, "replay")) : null;
  }

  async getRun(): Promise<RunView | null> {
    const state = this.load();
    return state ? linkClaims(this.env, runView(state, Date.now(), this.env.STEPWISE_PUBLIC_URL), state) : null;
  }

  /** One wait token as the run's view shows it; null when the run has no such token. */
  async getToken(tokenId: string): Promise<TokenView | null> {
    const state = this.load();
    const id = parseInput(z.string().max(300), tokenId, "token id");
    return (state && tokenViews(state, Date.now(), this.env.STEPWISE_PUBLIC_URL).find((t) => t.id === id)) ?? null;
  }

  /** Just the status and result: cheaper than {@link getRun} for callers that poll. */
  async getStatus(): Promise<{ status: RunView["status"]; output?: StoredJson; error?: SerializedError } | null> {
    const state = this.load();
    if (!state) return null;
    // Outputs are stored as JSON, so they are JSON values when read back.
    return { status: runStatus(state), output: state.output as StoredJson, error: state.error };
  }

  /** The run's history, oldest first: all of it, or (with `page`) up to `limit` entries after `afterSeq`. */
  async getHistory(page?: { afterSeq: number; limit: number }): Promise<HistoryEntry[] | null> {
    if (!this.load()) return null;
    if (!page) return this.journal.readAll().map(shownEntry);
    const { afterSeq, limit } = parseInput(historyPageSchema, page, "history page");
    return this.journal.readPage(afterSeq, limit).map(shownEntry);
  }

  /**
   * Retention: deletes everything the run stored (history, outbox, alarm) if it ended before
   * `endedBefore`. A run still going, or one ended since, keeps everything. Answers whether the
   * run is gone (true also when there was nothing to delete).
   */
  async purge(endedBefore: number): Promise<{ purged: boolean }> {
    const cutoff = parseInput(z.number().int().nonnegative(), endedBefore, "retention cutoff");
    if (this.drives.busy) return { purged: false };
    const state = this.load();
    if (state && (!state.terminal || state.endedAt === undefined || state.endedAt >= cutoff)) return { purged: false };
    await this.ctx.storage.deleteAlarm();
    if (state) await deletePayloads(this.env.PAYLOADS, state.runId);
    await this.ctx.storage.deleteAll();
    this.cached = undefined;
    // The same instance may be asked again (a late event, a page): it answers as a run that never was.
    this.journal.ensure();
    return { purged: true };
  }

  /**
   * A WebSocket that hears of every change: a realtime subscriber (`/subscribe`, its token checked
   * by the Worker: the run, then each change) or a dashboard watching the run (see LiveFeed).
   */
  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname !== "/subscribe") return this.live.accept(request);
    return subscribeToRun(this.ctx, request, this.load(), this.env.STEPWISE_PUBLIC_URL);
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    closeWatcher(socket, code, reason);
  }

  /** Drives the run now, without waiting: if the object dies first, the watchdog alarm resumes it. */
  private driveNow(runId: string): void {
    this.drives
      .request({ watchdog: true })
      .catch((error: unknown) => console.error(`stepwise: run ${runId} stopped; its alarm resumes it`, error));
  }

  /** Updates the run index off the step path: the write is not awaited by the run. */
  private syncIndex(): void {
    this.index.changed();
  }

  /** Makes sure the alarm fires by `at` (an earlier one stays: a drive re-arms what it needs). */
  private async alarmBy(at: number): Promise<void> {
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null || armed > at) await this.ctx.storage.setAlarm(at);
  }

  /** One drive (see runner.ts), with this object's ports. */
  private async driveRun(request: DriveRequest): Promise<void> {
    const state = this.load();
    if (!state) return;
    const fn = await getFunction(this.env, state.functionId);
    // `state` is the live copy the drive updates; between drives it is reloaded from the history.
    const host: RunHost = {
      env: this.env,
      storage: this.ctx.storage,
      current: () => this.load() ?? state,
      record: (events) => void this.record(events),
      calls: openCallsIn(this.openCalls),
      cancel: async (reason) => void (await this.cancel(reason)),
      flushIndex: async () => void (await this.index.flush()),
      // One store per object, so its cache of large results lasts across drives.
      payloads: this.payloadsOf(state.runId),
      trigger: await this.payloadsOf(state.runId).events(state.events),
    };
    const ports = hostPorts(host, state, fn);
    await driveRun(ports, engineConfig(fn?.config, rulesOf(fn), hostOf(this.env, fn)), request);
    // Between drives the history in SQLite is all the run needs: a sleeping run keeps nothing in memory.
    this.cached = undefined;
  }
}
