/**
 * The ports a RunObject gives its drive (runner.ts HostPorts): where each of the drive's needs is
 * met, by this object's storage, the run's function (in process or in its app), flow control,
 * waits, children and the run's parent. Kept apart from the object so that the object stays the
 * shell that RPC and the alarm come into.
 */
import { runTraceparent } from "./trace.ts";
import { outputBytes } from "../../src/core/lib/json-size.ts";
import { getFunction, type CatalogFunction } from "../../src/core/functions/catalog.ts";
import type { Env } from "../../src/core/env.ts";
import type { OpenCalls } from "../../src/core/transport/inngest.ts";
import { admitRun } from "./admission.ts";
import { announceEnd } from "./announce.ts";
import { exportRunTelemetry } from "./telemetry-export.ts";
import { alertRunFailed } from "../../src/core/alerts/raise.ts";
import { cancelOpenChildren, childRunIds, notifyParent, startChildRuns } from "./children.ts";
import { forgetWaits, keyedFromStart, registerCancelOn, registerWaits, sendStepEvents } from "./event-steps.ts";
import { batchesFor, executorFor } from "./executor.ts";
import { startFailureRun } from "./failure-run.ts";
import type { HistoryEvent } from "./history.ts";
import type { HostPorts } from "./runner.ts";
import { slotPorts } from "./slot-ports.ts";
import type { RunState } from "./state.ts";
import type { PayloadStore } from "./payloads.ts";
import type { LiveHooks } from "../../sdk/execution.ts";
import {
  MAX_INLINE_OUTPUT_BYTES,
  type RunEvent,
  type ExecutionRequest,
  type ExecutionResponse,
  type ReachedStep,
} from "../../sdk/protocol.ts";

/** Set once the run's failure has raised its alerts. */
const ALERTED = "failure-alerted";

/** What the ports need of the RunObject itself. */
export interface RunHost {
  env: Env;
  storage: DurableObjectStorage;
  /** The run's state as the drive updates it. */
  current(): RunState;
  /**
   * The run's events with any data kept in R2 read back (claims kept): what flow control keys and
   * wait registrations read. The state itself keeps the claims, so what it hands on stays small.
   */
  trigger: RunEvent[];
  record(events: HistoryEvent[]): void;
  /** The run's calls an Inngest app may checkpoint into. */
  calls: OpenCalls;
  cancel(reason: string): Promise<void>;
  flushIndex(): Promise<void>;
  /** The run's large results in R2. */
  payloads: PayloadStore;
}

/** Open calls kept in `ids`: each call gets an unguessable id, forgotten when it closes. */
export function openCallsIn(ids: Set<string>): OpenCalls {
  return {
    open: () => {
      const callId = crypto.randomUUID();
      ids.add(callId);
      return callId;
    },
    close: (callId) => void ids.delete(callId),
  };
}

type Executor = (request: ExecutionRequest, live?: LiveHooks) => Promise<ExecutionResponse>;

/** Whether a step's result is past the inline limit, so it must go to R2 before it is recorded. */
const pastInline = (step: ReachedStep): boolean => step.type === "ran" && outputBytes(step) > MAX_INLINE_OUTPUT_BYTES;

/**
 * Executions with large results in R2: a request's claimed results are read back first, and an
 * answer's large results put there before the engine records them. Live, a large result is not
 * recorded as it ends (that is synchronous): the call answers with it, and it is stashed then.
 */
function withPayloads(execute: Executor, payloads: PayloadStore): Executor {
  return async (request, live) => {
    const guarded: LiveHooks | undefined = live && {
      ...live,
      ran: (step) => (pastInline(step) ? "hold" : live.ran(step)),
    };
    return payloads.stash(await execute(await payloads.resolve(request), guarded));
  };
}

/** The ports of one drive of the run in `state`, a run of `fn`. */
export function hostPorts(host: RunHost, state: RunState, fn: CatalogFunction | undefined): HostPorts {
  const { env, current } = host;
  const triggered = (run: RunState): RunState => ({ ...run, events: host.trigger });
  const batches = batchesFor(fn);
  return {
    state: current,
    record: (events) => host.record(events),
    ...(batches ? { batches } : {}),
    execute: withPayloads(
      executorFor(
        env,
        state.functionId,
        fn,
        (id) => current().steps.get(id)?.name ?? id,
        host.calls,
        runTraceparent(state),
      ),
      host.payloads,
    ),
    sendEvents: (step) => sendStepEvents(env, current(), step),
    childRunIds: (step) => childRunIds(current(), step),
    ...slotPorts(env, triggered(state), fn?.config),
    admit: () => admitRun(env, triggered(state), fn?.config),
    control: async () => (await getFunction(env, state.functionId))?.control,
    startChildren: (step) => startChildRuns(env, current(), step),
    setWake: async (at) => (at === undefined ? host.storage.deleteAlarm() : host.storage.setAlarm(at)),
    wakeBy: async (at) => {
      const armed = await host.storage.getAlarm();
      if (armed === null || armed > at) await host.storage.setAlarm(at);
    },
    now: () => Date.now(),
    random: Math.random,
    registerCancelOn: () => registerCancelOn(env, triggered(current())),
    cancel: (reason) => host.cancel(reason),
    registerWaits: (take) => registerWaits(env, triggered(current()), take),
    flushIndex: () => host.flushIndex(),
    cancelChildren: () => cancelOpenChildren(env, current()),
    forgetWaits: () => forgetWaits(env, triggered(current()), keyedFromStart(host.storage)),
    startFailureRun: () => startFailureRun(env, triggered(current()), fn),
    notifyParent: () => notifyParent(env, current()),
    announceEnd: () => announceEnd(env, current(), fn),
    exportTelemetry: () => exportRunTelemetry(env, host.storage),
    alertFailure: async () => {
      if (host.storage.kv.get(ALERTED) === true) return;
      await alertRunFailed(env, current());
      host.storage.kv.put(ALERTED, true);
    },
  };
}
