/**
 * How a run is driven, start to end. {@link driveRun} is one drive as the RunObject starts it: the
 * step loop ({@link drive}: execute due steps, ask the SDK what comes next, record the answer,
 * repeat until the run finishes or waits on time), then the run's waits registered with their
 * WaitIndexes (an event already there resumes the run at once), then, once the run has ended, what
 * an ended run owes others. No `cloudflare:` imports: the Durable Object supplies the ports.
 */
import type { ExecutionRequest, ExecutionResponse, RunEvent, SerializedError } from "../../sdk/protocol.ts";
import type { LiveHooks } from "../../sdk/execution.ts";
import { decide, decideStart, decideWaitEvent, type EngineConfig } from "./engine.ts";
import type { HistoryEvent } from "./history.ts";
import { waitPartOpen, type RunState, type StepState } from "./state.ts";
import { SlotLanes } from "./slot-lanes.ts";
import { chunks, MAX_STEPS_PER_CALL, recordAsItEnds, request, requestMany, slidingWindow } from "./requests.ts";
import { dueSteps, hasPendingSteps, nextWake, wakeEvents } from "./timers.ts";
import { holdDecision, holdEvents, holdRecheckAt, pauseWatch } from "./hold.ts";
import type { FunctionControl } from "../../src/core/db/function-controls.ts";

/** What the runner needs from its host. */
export interface RunPorts {
  state(): RunState;
  /** Persists events (one transaction) and applies them to the state. */
  record(events: HistoryEvent[]): void;
  /**
   * Executes one protocol request. `live` lets an embedded function's handler go on from step to
   * step in this one call, each step recorded through it as it finishes (no replay per step);
   * other transports ignore it.
   */
  execute(request: ExecutionRequest, live?: LiveHooks): Promise<ExecutionResponse>;
  /**
   * The executor runs several planned steps in one call (`runSteps`), so a fan-out costs a replay
   * per batch, not per step: an embedded function's live (`live`: each outcome recorded as it
   * ends, and a freed slot taken at once by the next step), a remote app's in calls of at most
   * `max` steps, each answered with every outcome. Absent: one step per call.
   */
  batches?: { max: number; live: boolean };
  /** Sends a send step's events (ids derived from the run and step, so a retry is deduplicated). */
  sendEvents(step: StepState): Promise<SendOutcome>;
  /** The run ids of an invoke step's children for its current attempt (derived, the same every time). */
  childRunIds(step: StepState): Promise<string[]>;
  /** Starts the children named by the step's `step.invoking` (starting one twice is harmless). */
  startChildren(step: StepState): Promise<void>;
  /**
   * Asks flow control (throttle, rate limit, singleton) whether a new run may start: undefined when
   * the function has none; otherwise skip it (with why), or start it, not before `notBefore`.
   */
  admit(): Promise<Admission | undefined>;
  /** Takes concurrency slots (by lane name, see slot-lanes.ts); returns those held (the rest wait). */
  acquireSlots(names: string[]): Promise<string[]>;
  /** Gives back every concurrency slot the run holds and stops every wait for one. */
  releaseSlots(): Promise<void>;
  /** Most slots the run can ever hold at once (its smallest concurrency limit); none: unlimited. */
  maxLanes?: number;
  /** The function's control (paused or draining by an operator), read anew; absent: never held. */
  control?(): Promise<FunctionControl | undefined>;
  /** Arms the host's single alarm at `at`, or clears it. */
  setWake(at: number | undefined): Promise<void>;
  now(): number;
  random(): number;
}

/**
 * Takes the event a wait found on registering (or null): records it, and says whether part `part`
 * of the step still waits afterwards, which is when another wait of the run had taken that event.
 */
export type WaitTaker = (step: StepState, part: number, event: RunEvent | null) => boolean;

/** What a whole drive needs from its host beyond the step loop: waits, and the run's end. */
export interface HostPorts extends RunPorts {
  /** Puts the run's `cancelOn` events in their WaitIndexes; the one that already arrived, or null. */
  registerCancelOn(): Promise<RunEvent | null>;
  /** Cancels the run as the `cancel` RPC does. */
  cancel(reason: string): Promise<void>;
  /**
   * Puts the waiting steps' waits in their WaitIndexes; `take` gets each wait's event already
   * there, or null, and says whether the wait still waits after it (see {@link registerWaits}).
   */
  registerWaits(take: WaitTaker): Promise<void>;
  /** Delivers the run's index row now, or leaves it to the alarm (the outbox). */
  flushIndex(): Promise<void>;
  /** Cancels the children of invoke steps that have not ended. */
  cancelChildren(): Promise<void>;
  /** Takes the run's waits out of their WaitIndexes. */
  forgetWaits(): Promise<void>;
  /** Starts the run of the function's onFailure handler; its id, or undefined when there is none. */
  startFailureRun(): Promise<string | undefined>;
  /** Tells the parent run that this child ended; true once the parent has it, false when there is nothing to tell. */
  notifyParent(): Promise<boolean>;
  /** Sends the events announcing the run's end (Inngest functions); true once sent, false when it has none. */
  announceEnd(): Promise<boolean>;
  /** Raises the alerts a final failure of the run calls for (alert rules), once per run; never throws at the run. */
  alertFailure?(): Promise<void>;
  /** Exports the spans, logs and metrics since the last export, when telemetry is configured; "deferred": try later; throws when it failed. */
  exportTelemetry?(): Promise<"exported" | "nothing" | "deferred">;
  /** Makes sure the alarm fires by `at`, keeping an earlier one (a retry owed to others). */
  wakeBy?(at: number): Promise<void>;
}

/** Flow control's answer for a new run. */
export interface Admission {
  skip?: string;
  notBefore?: number;
  reason?: string;
}

/** What sending a step's events gave: their ids, or why not and whether to try again. */
export type SendOutcome = { ok: true; ids: string[] } | { ok: false; error: SerializedError; retriable: boolean };

/** A send step carried out by the engine, reported as if the SDK had run it. */
async function sendStep(ports: RunPorts, step: StepState): Promise<ExecutionResponse> {
  const startedAt = ports.now();
  const outcome = await ports.sendEvents(step);
  const timing = { startedAt, endedAt: ports.now() };
  const named = { id: step.id, name: step.name, timing };
  if (outcome.ok) return { type: "steps", steps: [{ type: "ran", ...named, output: { ids: outcome.ids } }] };
  return { type: "steps", steps: [{ type: "errored", ...named, error: outcome.error, retriable: outcome.retriable }] };
}

/** Names an invoke step's children (recorded first), then starts them and records that. */
async function invokeStep(ports: RunPorts, step: StepState): Promise<void> {
  const named = { stepId: step.id, name: step.name };
  if (step.status !== "invoking")
    ports.record([
      { type: "step.invoking", ...named, attempt: step.failures, childRunIds: await ports.childRunIds(step) },
    ]);
  await ports.startChildren(step);
  ports.record([{ type: "step.children-started", ...named }]);
}

/** A run waiting for a slot checks again after this long at first, should the limiter's call-back be lost. */
const SLOT_RECHECK_MS = 5 * 60_000;
/** The longest a waiting run goes between checks: the limiter calls back, so this is a safety net. */
const SLOT_RECHECK_MAX_MS = 60 * 60_000;

/** When a run waiting for a slot since `queuedAt` checks again: the wait so far, within bounds. */
function slotRecheckAt(now: number, queuedAt: number | undefined): number {
  return now + Math.min(SLOT_RECHECK_MAX_MS, Math.max(SLOT_RECHECK_MS, now - (queuedAt ?? now)));
}

/** The steps that have a lane to execute in; the first grant after waiting is recorded. */
async function withSlots<T>(ports: RunPorts, lanes: SlotLanes, steps: T[]): Promise<T[]> {
  if (steps.length === 0) return [];
  const running = steps.slice(0, await lanes.take(steps.length));
  if (running.length > 0 && ports.state().queuedReason) ports.record([{ type: "run.slot-granted" }]);
  return running;
}

/** Every step that could run waits for a slot: the run is queued until the limiter calls it back. */
async function queued(ports: RunPorts): Promise<"queued"> {
  if (!ports.state().queuedReason)
    ports.record([{ type: "run.slot-waiting", reason: "waiting for a concurrency slot" }]);
  await ports.setWake(slotRecheckAt(ports.now(), ports.state().queuedAt));
  return "queued";
}

/**
 * Holds the run while its function is paused (or draining, before the run starts), re-checking on
 * a growing timer; records the release once it may go on. True while it holds.
 */
async function held(ports: RunPorts): Promise<boolean> {
  if (!ports.control) return false;
  const control = await ports.control();
  const decision = holdDecision(ports.state(), control);
  const events = holdEvents(ports.state(), control, decision);
  if (events.length > 0) ports.record(events);
  if (decision !== "hold") return false;
  // A held run's timeouts.finish still ends it: its alarm comes by then at the latest.
  const { heldAt, finishBy } = ports.state();
  await ports.setWake(Math.min(holdRecheckAt(ports.now(), heldAt), finishBy ?? Infinity));
  return true;
}

export interface DriveOptions {
  /** Treat the clock as at least this moment (an operator's wake, or a test skipping time). */
  skipTo?: number;
  /** Hand control back (by re-arming the alarm) after this long, so no invocation runs unbounded. */
  budgetMs: number;
}

/**
 * Runs `state` forward until it finishes, sleeps, waits for a slot or spends its budget; then arms
 * the next wake. Concurrency slots are held from the first step that needs one to the drive's end.
 */
export async function drive(ports: RunPorts, config: EngineConfig, options: DriveOptions): Promise<void> {
  const lanes = new SlotLanes(ports);
  let waiting = false;
  try {
    waiting = (await driveWith(ports, lanes, config, options)) === "queued";
  } finally {
    await lanes.release({ waiting, ended: ports.state().terminal !== undefined });
  }
}

async function driveWith(
  ports: RunPorts,
  lanes: SlotLanes,
  config: EngineConfig,
  options: DriveOptions,
): Promise<"queued" | void> {
  const startedAt = ports.now();
  const clock = (): number => Math.max(ports.now(), options.skipTo ?? 0);
  const decideAll = (responses: ExecutionResponse[]): void => {
    for (const response of responses) {
      const state = ports.state();
      ports.record(decide(state, response, config, { now: clock(), random: ports.random }));
    }
  };
  // Whether a call may start more work: not once the run ended, past the drive's budget, or past
  // the run's timeouts.finish (checked between steps, as a replay would).
  const paused = ports.control ? pauseWatch(ports.control, ports.now) : () => false;
  const goOn = (): boolean => {
    const now = ports.state();
    return (
      !now.terminal &&
      !paused() &&
      ports.now() - startedAt <= options.budgetMs &&
      (now.finishBy === undefined || now.finishBy > clock())
    );
  };
  const state = ports.state();
  // A delayed run sleeps until its start time; flow control admits it then.
  if (!state.terminal && !state.started && !state.admitted && state.startAt !== undefined && state.startAt > clock())
    return ports.setWake(state.startAt);
  // Past its timeouts.finish a run ends, held or not.
  if (!state.terminal && state.finishBy !== undefined && state.finishBy <= clock())
    ports.record(wakeEvents(state, clock(), ports.now()));
  if (ports.state().terminal) return ports.setWake(nextWake(ports.state(), clock()));
  // A run not started yet holds here; a held one is released here once its function is resumed.
  if ((!state.started || state.heldReason) && (await held(ports))) return;
  if (!state.terminal && !state.started && !state.admitted) {
    const admission = await ports.admit();
    if (admission?.skip) ports.record([{ type: "run.skipped", reason: admission.skip }]);
    else if (admission)
      ports.record([
        {
          type: "run.admitted",
          ...(admission.notBefore !== undefined ? { notBefore: admission.notBefore, reason: admission.reason } : {}),
        },
      ]);
  }
  const admitted = ports.state();
  if (!admitted.terminal && !admitted.started && admitted.notBefore !== undefined && admitted.notBefore > clock())
    return ports.setWake(admitted.notBefore);
  if (!admitted.terminal && !admitted.started) ports.record(decideStart(admitted, config, clock()));

  while (!ports.state().terminal) {
    if (ports.now() - startedAt > options.budgetMs) return ports.setWake(ports.now());
    const current = ports.state();
    const now = clock();
    const woken = wakeEvents(current, now, ports.now());
    if (woken.length > 0) ports.record(woken);
    if (ports.state().terminal) break;

    const due = dueSteps(current, now);
    // A paused function's run holds before it would run code: a step, or its body (a sleeping
    // run holds only once it wakes).
    const retryLater = current.retryAt !== undefined && current.retryAt > now;
    if ((due.length > 0 || !retryLater) && (await held(ports))) return;
    if (due.length > 0) {
      const invokes = due.filter((step) => step.op === "invoke");
      const sends = due.filter((step) => step.op === "send");
      const code = await withSlots(
        ports,
        lanes,
        due.filter((step) => step.op === "run"),
      );
      if (invokes.length + sends.length + code.length === 0) return queued(ports);
      // Planned steps at their first attempt run together in one call where the executor can;
      // a retry runs alone, at its own attempt. Those without a lane yet join that call as its
      // steps end and free their lanes (a sliding window, not a round at a time).
      const batching = ports.batches;
      const fresh = batching ? code.filter((step) => step.failures === 0) : [];
      const laned = new Set(code);
      const waiting = batching?.live
        ? due.filter((step) => step.op === "run" && step.failures === 0 && !laned.has(step))
        : [];
      const batches =
        batching && (fresh.length > 1 || (fresh.length === 1 && waiting.length > 0))
          ? chunks(fresh, Math.min(batching.max, MAX_STEPS_PER_CALL))
          : [];
      const alone = batches.length > 0 ? code.filter((step) => step.failures > 0) : code;
      const windowed = batches.length === 1 && waiting.length > 0 ? batches[0] : undefined;
      // Every call of the batch sees the memo as it was when the batch began: outcomes recorded
      // while siblings (steps or sends) still run must not change what an in-process replay counts
      // mid-call. A lone call has no sibling, so the sequential path keeps the memo as it is.
      const asked = code.length + sends.length > 1 || windowed ? { ...current, memo: { ...current.memo } } : current;
      const calls = [
        ...sends.map((step) => sendStep(ports, step)),
        ...batches.map((batch) => {
          const more =
            batch === windowed
              ? slidingWindow(batch, waiting, {
                  lanes: () => lanes.size,
                  reserved: alone.length,
                  goOn,
                  state: ports.state,
                })
              : undefined;
          return batch.length === 1 && !more
            ? ports.execute(request(asked, batch[0]!.id, 0, false))
            : ports.execute(requestMany(asked, batch, !batching?.live), recordAsItEnds(decideAll, more));
        }),
        ...alone.map((step) => ports.execute(request(asked, step.id, step.failures, false))),
      ];
      // Each outcome is recorded as it arrives, so the history holds steps in the order they ended:
      // a replay resolves them in that order, and a Promise.race is won by the step that ended first.
      // The drive waits for all of them even when one fails, so none is recorded after it ends.
      const settled = await Promise.allSettled([
        ...invokes.map((step) => invokeStep(ports, step)),
        ...calls.map((call) => call.then((response) => decideAll([response]))),
      ]);
      const failed = settled.find((result) => result.status === "rejected");
      if (failed) throw failed.reason;
      continue;
    }
    if (retryLater) break;
    const lastSeq = current.lastSeq;
    // The function body may run a new step's code in this call, so it takes a slot like a step.
    if ((await withSlots(ports, lanes, [current])).length === 0) return queued(ports);
    const allowImmediate = !hasPendingSteps(current);
    const live: LiveHooks = {
      ran: (step) => {
        decideAll([{ type: "steps", steps: [step] }]);
        const after = ports.state();
        return !after.terminal && after.steps.get(step.id)?.status === "completed" ? "recorded" : "stop";
      },
      proceed: goOn,
    };
    decideAll([await ports.execute(request(current, undefined, current.attempt, allowImmediate), live)]);
    if (ports.state().lastSeq === lastSeq) break;
  }
  return ports.setWake(nextWake(ports.state(), clock()));
}

/** An invocation hands control back after this long; the alarm picks the run up again. */
const DRIVE_BUDGET_MS = 30_000;
/** If the object dies in a drive that no alarm covers, this alarm resumes the run from its history. */
export const WATCHDOG_MS = 60_000;
/** How soon a child that could not reach its parent tries again. */
const PARENT_RETRY_MS = 5_000;

/**
 * One drive of the run: the step loop, then its waits, then (once the run has ended) what an ended
 * run owes others. A run that had ended before the drive only settles what it still owes (its
 * index row, its onFailure run, its parent), which is how the alarm retries those.
 */
export async function driveRun(
  ports: HostPorts,
  config: EngineConfig,
  options: Omit<DriveOptions, "budgetMs"> & { watchdog: boolean },
): Promise<void> {
  const endedBefore = ports.state().terminal !== undefined;
  if (!endedBefore) {
    // Unless an alarm already covers this drive, one is armed in case the object dies in it.
    if (options.watchdog) await ports.setWake(ports.now() + WATCHDOG_MS);
    await drive(ports, config, {
      budgetMs: DRIVE_BUDGET_MS,
      ...(options.skipTo !== undefined ? { skipTo: options.skipTo } : {}),
    });
    await listenForCancel(ports);
    await listenForEvents(ports, config);
  }
  await ports.flushIndex();
  // Once, when this drive ended the run (a cancel outside a drive does it itself).
  if (!endedBefore && ports.state().terminal) {
    await ports.cancelChildren();
    await ports.forgetWaits();
  }
  await startFailureRun(ports);
  await reportToParent(ports);
  await announceEnd(ports);
  // Last, so a slow alert channel delays nothing the run owes others. Once per run (the port
  // remembers): a drive after a crash that came between the failure and its alerts raises them.
  if (ports.state().terminal === "failed")
    await ports
      .alertFailure?.()
      .catch((error: unknown) =>
        console.error(`stepwise: run ${ports.state().runId} could not raise its alerts`, error),
      );
  await exportTelemetry(ports);
}

/** How long after its end a run keeps trying to export its telemetry. */
const EXPORT_FOR_MS = 3_600_000;
/** How soon an ended run tries its export again. */
const EXPORT_RETRY_MS = 30_000;

/**
 * Telemetry after the drive, never in its way: a failed export is logged and tried again by the
 * next drive, or for an ended run by the alarm, for an hour after its end.
 */
async function exportTelemetry(ports: HostPorts): Promise<void> {
  if (!ports.exportTelemetry) return;
  const retry = async () => {
    const state = ports.state();
    if (state.terminal && ports.now() - (state.endedAt ?? ports.now()) < EXPORT_FOR_MS)
      await (ports.wakeBy ?? ports.setWake)(ports.now() + EXPORT_RETRY_MS);
  };
  try {
    if ((await ports.exportTelemetry()) === "deferred") await retry();
  } catch (error) {
    console.error(`stepwise: run ${ports.state().runId} could not export its telemetry`, error);
    await retry();
  }
}

/** Registers the run's `cancelOn` events once; one that already arrived cancels the run now. */
async function listenForCancel(ports: HostPorts): Promise<void> {
  const state = ports.state();
  if (state.terminal || state.cancelRegistered !== false) return;
  const early = await ports.registerCancelOn();
  ports.record([{ type: "run.cancel-registered" }]);
  if (early) await ports.cancel(`cancelled by event "${early.name}" (${early.id})`);
}

/**
 * Waits register after a drive, not as their steps are recorded: the drive runs on without a round
 * trip per wait, and an event that already arrived (it raced the registration) ends its wait here
 * and drives the run on at once, until no wait is satisfied on registering.
 */
async function listenForEvents(ports: HostPorts, config: EngineConfig): Promise<void> {
  let early = true;
  while (early && !ports.state().terminal) {
    early = false;
    await ports.registerWaits((step, part, event) => {
      if (event) ports.record(decideWaitEvent(ports.state(), step.id, part, event));
      const after = ports.state();
      if (after.steps.get(step.id)?.status === "completed") early = true;
      return waitPartOpen(after, step.id, part);
    });
    for (const step of ports.state().steps.values()) {
      if (step.status === "waiting" && step.registered === false)
        ports.record([{ type: "step.wait-registered", stepId: step.id, name: step.name }]);
    }
    if (early) await drive(ports, config, { budgetMs: DRIVE_BUDGET_MS });
  }
}

/** After a final failure, starts the function's onFailure run once (its id is derived from the run's). */
async function startFailureRun(ports: HostPorts): Promise<void> {
  const state = ports.state();
  if (state.terminal !== "failed" || state.failureRunId || !state.error) return;
  const failureRunId = await ports.startFailureRun();
  if (failureRunId !== undefined) ports.record([{ type: "run.failure-handler", failureRunId }]);
}

/** How long after its end a run keeps trying to announce it, before it records that it gave up. */
const ANNOUNCE_FOR_MS = 24 * 3_600_000;

/**
 * An ended run announces its end once. If the events cannot be recorded, the alarm tries again,
 * ever less often (half the time since the end, 5 s to 1 h), and gives up after a day, saying so
 * in the history.
 */
async function announceEnd(ports: HostPorts): Promise<void> {
  const state = ports.state();
  if (!state.terminal || state.endAnnounced) return;
  try {
    if (await ports.announceEnd()) ports.record([{ type: "run.end-announced" }]);
  } catch (error) {
    const since = ports.now() - (state.endedAt ?? ports.now());
    const message = error instanceof Error ? error.message : String(error);
    if (since > ANNOUNCE_FOR_MS) {
      console.error(`stepwise: run ${state.runId} gave up announcing its end`, error);
      ports.record([{ type: "run.end-announced", abandoned: message.slice(0, 1_000) }]);
      return;
    }
    console.error(`stepwise: run ${state.runId} could not announce its end; retrying`, error);
    await ports.setWake(ports.now() + Math.min(3_600_000, Math.max(PARENT_RETRY_MS, since / 2)));
  }
}

/** A child run that has ended tells its parent; if the parent cannot be reached, the alarm tries again. */
async function reportToParent(ports: HostPorts): Promise<void> {
  try {
    if (await ports.notifyParent()) ports.record([{ type: "run.parent-notified" }]);
  } catch (error) {
    console.error(`stepwise: run ${ports.state().runId} could not report to its parent; retrying`, error);
    await ports.setWake(ports.now() + PARENT_RETRY_MS);
  }
}
