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
  type StepOp,
  type RunEvent,
  type SerializedError,
} from "../../sdk/protocol.ts";
import type { Env } from "../../src/core/env.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import { getFunction } from "../../src/core/functions/catalog.ts";
import { engineConfig, rulesOf } from "./engine-config.ts";
import type { HistoryEntry, HistoryEvent } from "./history.ts";
import { cancelOpenChildren } from "./children.ts";
import { decide, decideChildren, decideWaitEvent } from "./engine.ts";
import { indexRuns } from "../../src/core/run-index/write.ts";
import { forgetWaits, keyedFromStart, noteKeyedFromStart, registerCancelOn, registerWaits } from "./event-steps.ts";
import { keptSteps, replayRefusal } from "./replay.ts";
import { slotPorts } from "./slot-ports.ts";
import { announcesEnd } from "./announce.ts";
import { checkpointInputSchema, checkpointRefusal, type CheckpointInput } from "./checkpoint.ts";
import { Journal } from "./journal.ts";
import { closeWatcher, LiveFeed } from "../live/live-feed.ts";
import { changesStatus, kvAckStore, RunIndexWriter } from "./run-index.ts";
import { driveRun } from "./runner.ts";
import { DriveQueue, type DriveRequest } from "./drive-queue.ts";
import { hostPorts, openCallsIn, type RunHost } from "./host-ports.ts";
import { apply, foldHistory, initialState, runStatus, waitPartOpen, type RunState, type StepState } from "./state.ts";
import { resumeAt } from "./resume.ts";
import { nextSleepWake, nextWake } from "./timers.ts";
import { runView, type RunView } from "./view.ts";
import { startRunSchema, type StartRun } from "../../src/core/runs/start.ts";

/** A stored output as it crosses RPC: any JSON value (typed shallowly, so RPC types stay finite). */
type StoredJson = string | number | boolean | null | object;

/** An alarm this close after the run's due time is left as it is (not re-armed for nothing). */
const RESUME_SLACK_MS = 1_000;

/** A page of a run's history: entries after `afterSeq`, at most `limit`. */
const historyPageSchema = z.object({
  afterSeq: z.number().int().min(0),
  limit: z.number().int().min(1).max(1_001),
});

/** A new run's first alarm: resumes it within seconds if the object dies before the run index has it. */
const FIRST_WATCHDOG_MS = 5_000;

export class RunObject extends DurableObject<Env> {
  private readonly journal: Journal;
  private readonly index: RunIndexWriter;
  private readonly live: LiveFeed;
  private cached: RunState | undefined;
  /** The ids of this run's calls under way that an Inngest app may checkpoint into (memory only: a restart ends them). */
  private readonly openCalls = new Set<string>();
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
    const entries = this.journal.append(events, state?.lastSeq ?? 0, Date.now());
    for (const entry of entries) {
      if (this.cached) apply(this.cached, entry);
      else this.cached = initialState(entry);
    }
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
    if (!this.drives.busy) {
      // What the ended run may still owe (telling a waiting parent, announcing the end) the alarm's
      // drive does, and retries. Armed first, so no failure below can lose it; dropped again when
      // it owes nothing.
      await this.ctx.storage.setAlarm(Date.now());
      const fn = await getFunction(this.env, state.functionId);
      if (!(state.parentRunId && state.parentStepId) && !announcesEnd(fn)) await this.ctx.storage.deleteAlarm();
      await cancelOpenChildren(this.env, this.load() ?? state);
      await forgetWaits(this.env, this.load() ?? state, keyedFromStart(this.ctx.storage));
      // A run cancelled while queued leaves the line now (a drive under way does this as it ends).
      await slotPorts(this.env, state, fn?.config).releaseSlots();
    }
    return { cancelled: true, status: "cancelled" };
  }

  /**
   * An event for a waiting step (from the WaitIndex). Taken only while the step still waits: an
   * event racing the timeout, or a second event, changes nothing. The run goes on at once.
   */
  async resumeWait(stepId: string, event: RunEvent, part = 0): Promise<{ resumed: boolean; stillWaiting: boolean }> {
    const state = this.load();
    if (!state) return { resumed: false, stillWaiting: false };
    const events = decideWaitEvent(state, stepId, part, parseInput(runEventSchema, event, "event"));
    // Refused while the part still waits (another wait of the run took the event): the index keeps it.
    if (events.length === 0) return { resumed: false, stillWaiting: waitPartOpen(state, stepId, part) };
    this.record(events);
    if (state.steps.get(stepId)?.status === "completed") {
      this.drives
        .request({ watchdog: true })
        .catch((error: unknown) => console.error(`stepwise: run ${state.runId} stopped; its alarm resumes it`, error));
    }
    return { resumed: true, stillWaiting: false };
  }

  /** A child run of an invoke step has ended; once all have, the step ends and the run goes on. */
  async childEnded(stepId: string, outcome: ChildOutcome): Promise<{ accepted: boolean }> {
    const state = this.load();
    const ended = parseInput(childOutcomeSchema, outcome, "child outcome");
    const step = state?.steps.get(stepId);
    if (
      !state ||
      state.terminal ||
      step?.status !== "invoking" ||
      !step.childRunIds?.includes(ended.runId) ||
      step.childOutcomes?.[ended.runId]
    ) {
      return { accepted: false };
    }
    this.record([{ type: "step.child-ended", stepId, name: step.name, outcome: ended }]);
    const fn = await getFunction(this.env, state.functionId);
    const decided = decideChildren(this.load() ?? state, stepId, engineConfig(fn?.config, rulesOf(fn)), {
      now: Date.now(),
      random: Math.random,
    });
    if (decided.length > 0) {
      this.record(decided);
      this.drives
        .request({ watchdog: true })
        .catch((error: unknown) => console.error(`stepwise: run ${state.runId} stopped; its alarm resumes it`, error));
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
    const config = engineConfig(fn?.config, rulesOf(fn));
    const now = this.load() ?? state;
    const fresh = steps.filter((step) => !now.steps.has(step.id));
    if (fresh.length > 0 && this.openCalls.has(callId))
      this.record(decide(now, { type: "steps", steps: fresh }, config, { now: Date.now(), random: Math.random }));
    return { accepted: true };
  }

  /** A `cancelOn` event arrived: the run is cancelled, as by {@link cancel}. */
  async cancelByEvent(event: RunEvent): Promise<{ resumed: boolean; stillWaiting: boolean }> {
    const arrived = parseInput(runEventSchema, event, "event");
    const result = await this.cancel(`cancelled by event "${arrived.name}" (${arrived.id})`);
    return { resumed: result?.cancelled ?? false, stillWaiting: false };
  }

  /**
   * Registers the run's waits again (its `cancelOn` listeners and waiting steps): after the upgrade
   * that made the router deliver only the names a WaitIndex listens for (see src/waits/relisten.ts).
   * An event already there is taken as at any registration.
   */
  async relisten(): Promise<void> {
    const state = this.load();
    if (!state || state.terminal) return;
    const early = state.cancelRegistered ? await registerCancelOn(this.env, state) : null;
    if (early) return void (await this.cancel(`cancelled by event "${early.name}" (${early.id})`));
    let resumed = false;
    const take = (step: StepState, part: number, event: RunEvent | null) => {
      if (event) this.record(decideWaitEvent(this.load() ?? state, step.id, part, event));
      const after = this.load() ?? state;
      resumed ||= after.steps.get(step.id)?.status === "completed";
      return waitPartOpen(after, step.id, part);
    };
    await registerWaits(this.env, state, take, { again: true });
    if (resumed)
      this.drives
        .request({ watchdog: true })
        .catch((error: unknown) => console.error(`stepwise: run ${state.runId} stopped; its alarm resumes it`, error));
  }

  /** A concurrency slot this run waited for is now its: the run goes on. */
  async slotGranted(): Promise<void> {
    this.drives
      .request({ watchdog: true })
      .catch((error: unknown) =>
        console.error("stepwise: run stopped after a slot was granted; its alarm resumes it", error),
      );
  }

  /** What a replay of this run starts with; refused unless the run failed or was cancelled. */
  async replayPlan(fromStart: boolean): Promise<{
    refused: string | null;
    functionId: string;
    events: StoredJson[];
    steps: { stepId: string; name: string; op: StepOp; output: StoredJson }[];
  } | null> {
    const state = this.load();
    if (!state) return null;
    const refused = replayRefusal(state) ?? null;
    // Outputs are stored as JSON, so they are JSON values when read back.
    const steps = keptSteps(state, fromStart).map((step) => ({ ...step, output: step.output as StoredJson }));
    return { refused, functionId: state.functionId, events: state.events, steps: refused ? [] : steps };
  }

  async getRun(): Promise<RunView | null> {
    const state = this.load();
    return state ? runView(state, Date.now()) : null;
  }

  /** Just the status and result: cheaper than {@link getRun} for callers that poll. */
  async getStatus(): Promise<{ status: RunView["status"]; output?: StoredJson; error?: SerializedError } | null> {
    const state = this.load();
    if (!state) return null;
    // Outputs are stored as JSON, so they are JSON values when read back.
    return { status: runStatus(state), output: state.output as StoredJson, error: state.error };
  }

  /**
   * The run's history, oldest first: all of it, or (with `page`) up to `limit` entries after
   * entry `afterSeq`, so a long run's history is read a page at a time.
   */
  async getHistory(page?: { afterSeq: number; limit: number }): Promise<HistoryEntry[] | null> {
    if (!this.load()) return null;
    if (!page) return this.journal.readAll();
    const { afterSeq, limit } = parseInput(historyPageSchema, page, "history page");
    return this.journal.readPage(afterSeq, limit);
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
    await this.ctx.storage.deleteAll();
    this.cached = undefined;
    // The same instance may be asked again (a late event, a page): it answers as a run that never was.
    this.journal.ensure();
    return { purged: true };
  }

  /** A dashboard watching the run: a WebSocket that hears of every change (see LiveFeed). */
  override async fetch(request: Request): Promise<Response> {
    return this.live.accept(request);
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    closeWatcher(socket, code, reason);
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
    };
    const ports = hostPorts(host, state, fn);
    await driveRun(ports, engineConfig(fn?.config, rulesOf(fn)), request);
    // Between drives the history in SQLite is all the run needs: a sleeping run keeps nothing in memory.
    this.cached = undefined;
  }
}
