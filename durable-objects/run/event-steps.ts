/**
 * The RunObject's side of the event steps: sending a send step's events (ids derived from the
 * run and step, so a retried send is deduplicated), and registering waits with the WaitIndex of
 * their event name. A run whose event data is kept in R2 is handed here with it read back
 * (`RunHost.trigger`), and each wait registers with only what its condition reads of it.
 */
import { mergeTags } from "../../sdk/tags.ts";
import { z } from "zod";
import { runEventSchema, waitParts, type RunEvent } from "../../sdk/protocol.ts";
import { parseInput } from "../../src/core/lib/parse.ts";
import type { Env } from "../../src/core/env.ts";
import { acceptEvents } from "../../src/core/events/accept.ts";
import { oversizedEvent } from "../../src/core/events/limits.ts";
import { eventBatchSchema } from "../../src/core/events/schema.ts";
import { derivedId } from "../../src/core/lib/ids.ts";
import { waitIndex } from "../../src/core/objects.ts";
import { waitTarget } from "../../src/core/waits/wait-targets.ts";
import { waitTrigger } from "../../src/core/waits/wait-trigger.ts";
import type { SendOutcome, WaitTaker } from "./runner.ts";
import type { Waiter } from "../waits/wait-match.ts";
import { waitPartOpen, type RunState, type StepState } from "./state.ts";
import { namedError } from "../../sdk/error-names.ts";
import { decideWaitEvent } from "./engine.ts";
import type { HistoryEvent } from "./history.ts";

/** Sends a send step's events; a malformed or oversized event fails the step without retries. */
export async function sendStepEvents(env: Env, state: RunState, step: StepState): Promise<SendOutcome> {
  const parsed = eventBatchSchema.safeParse(step.events ?? []);
  if (!parsed.success) {
    return {
      ok: false,
      error: namedError("InvalidEventError", `step.sendEvent("${step.id}"): ${z.prettifyError(parsed.error)}`),
      retriable: false,
    };
  }
  const tooLarge = oversizedEvent(parsed.data, env);
  if (tooLarge)
    return {
      ok: false,
      error: namedError("LimitExceededError", `step.sendEvent("${step.id}"): ${tooLarge}`),
      retriable: false,
    };
  const events = await Promise.all(
    parsed.data.map(async (event, index) => {
      // An event a run sends starts runs under its tags too, the run's first.
      const tags = mergeTags(state.tags, event.tags);
      return {
        ...event,
        id: event.id ?? (await derivedId(state.createdAt, state.runId, step.id, String(index))),
        ...(tags.length > 0 ? { tags } : {}),
      };
    }),
  );
  try {
    return { ok: true, ids: await acceptEvents(env, events) };
  } catch (error) {
    return {
      ok: false,
      error: namedError("SendEventError", error instanceof Error ? error.message : String(error)),
      retriable: true,
    };
  }
}

/** Registers the run's `cancelOn` events; resolves with an event that already cancels it, if any. */
export async function registerCancelOn(env: Env, state: RunState): Promise<RunEvent | null> {
  const [runEvent] = state.events;
  if (!runEvent || !state.cancelOn) return null;
  const early = await Promise.all(
    state.cancelOn.map((wait, index) => {
      const trigger = waitTrigger(runEvent, wait.if);
      const target = waitTarget(wait.event, wait.if, trigger);
      return waitIndex(env, target.name).register(
        {
          runId: state.runId,
          stepId: `cancelOn:${index}`,
          kind: "cancel",
          condition: wait.if,
          runEvent: trigger,
          startedAt: state.createdAt,
          lookbackMs: 0,
          until: wait.until,
        },
        target.keyed,
      );
    }),
  );
  return early.find((event) => event !== null) ?? null;
}

/** Most times one wait registers again because each event it found was taken by another wait of its run. */
const MAX_REFUSED = 8;

/**
 * Registers every waiting step not registered yet (or every waiting step, `again`; each event of
 * a multi-event wait on its own), handing `take` each step and part with the event that already
 * satisfies it (arrived just before, or within its lookback), or null. The index is told the
 * events the run's other waits took; one taken meanwhile (`take` says the part still waits) is
 * left out and the wait registered again, so it stays in its index.
 */
export async function registerWaits(
  env: Env,
  state: RunState,
  take: WaitTaker,
  { again = false }: { again?: boolean } = {},
): Promise<void> {
  const [runEvent] = state.events;
  if (!runEvent) return;
  const pending = [...state.steps.values()].filter(
    (step) => step.status === "waiting" && (again || step.registered === false) && step.wait,
  );
  await Promise.all(
    pending.flatMap((step) =>
      waitParts(step.wait!).map(async (part, index) => {
        const wait = step.wait!;
        const trigger = waitTrigger(runEvent, part.if);
        const target = waitTarget(part.event, part.if, trigger);
        const waiter: Waiter = {
          runId: state.runId,
          stepId: step.id,
          part: index,
          condition: part.if,
          runEvent: trigger,
          startedAt: step.startedAt ?? step.firstSeenAt,
          lookbackMs: wait.lookbackMs ?? 0,
          until: wait.until,
        };
        const taken = [...state.takenEvents].filter(([, event]) => event.name === part.event).map(([id]) => id);
        const takenBefore = taken.length;
        const register = async () =>
          parseInput(
            runEventSchema.nullable(),
            await waitIndex(env, target.name).register(waiter, target.keyed, taken),
            "WaitIndex answer",
          );
        let early = await register();
        while (early && take(step, index, early)) {
          if (taken.length - takenBefore >= MAX_REFUSED) {
            console.error(`stepwise: run ${state.runId} step ${step.id} left unregistered; it ends at its timeout`);
            return;
          }
          taken.push(early.id);
          early = await register();
        }
      }),
    ),
  );
}

/**
 * The key in a RunObject's storage that says the run was created with keyed waits: it registered
 * each wait with its {@link waitTarget}, never with a name's home index when a key applies.
 */
const KEYED_FROM_START = "waits-keyed";

/** Notes, as the run is created, that it registers its waits by {@link waitTarget}. */
export const noteKeyedFromStart = (storage: DurableObjectStorage): void => storage.kv.put(KEYED_FROM_START, true);

/** Whether the run was created with keyed waits (see {@link noteKeyedFromStart}). */
export const keyedFromStart = (storage: DurableObjectStorage): boolean => storage.kv.get(KEYED_FROM_START) === true;

/**
 * Removes every wait of an ended run from its WaitIndexes: its `cancelOn` listeners and the
 * waits of its steps, each from the index it registered with (the same {@link waitTarget}). A run
 * created before waits were keyed (`keyedFromStart` false) may have registered with the home
 * index of each name, so those are asked too. Best effort: what is missed goes at its own timeout.
 */
export async function forgetWaits(env: Env, state: RunState, keyedFromStart: boolean): Promise<void> {
  const [runEvent] = state.events;
  const waits = (state.cancelOn ?? []).map((wait) => ({ event: wait.event, condition: wait.if }));
  for (const step of state.steps.values())
    if (step.wait) for (const part of waitParts(step.wait)) waits.push({ event: part.event, condition: part.if });
  const names = new Set<string>();
  for (const wait of waits) {
    if (runEvent) names.add(waitTarget(wait.event, wait.condition, waitTrigger(runEvent, wait.condition)).name);
    if (!keyedFromStart || !runEvent) names.add(wait.event);
  }
  const results = await Promise.allSettled([...names].map((name) => waitIndex(env, name).forget(state.runId)));
  for (const result of results)
    if (result.status === "rejected")
      console.error(`stepwise: run ${state.runId} could not remove a wait; it goes at its timeout`, result.reason);
}

/** What {@link listenAgain} needs of the RunObject. */
export interface ListenHost {
  current(): RunState;
  record(events: HistoryEvent[]): void;
  cancel(reason: string): Promise<void>;
}

/**
 * Registers a live run's waits again (its `cancelOn` listeners and waiting steps): after the upgrade
 * that made the router deliver only the names a WaitIndex listens for (see src/waits/relisten.ts).
 * An event already there is taken as at any registration; answers whether a step resumed.
 */
export async function listenAgain(env: Env, host: ListenHost): Promise<boolean> {
  const state = host.current();
  const early = state.cancelRegistered ? await registerCancelOn(env, state) : null;
  if (early) {
    await host.cancel(`cancelled by event "${early.name}" (${early.id})`);
    return false;
  }
  let resumed = false;
  const take = (step: StepState, part: number, event: RunEvent | null) => {
    if (event) host.record(decideWaitEvent(host.current(), step.id, part, event));
    const after = host.current();
    resumed ||= after.steps.get(step.id)?.status === "completed";
    return waitPartOpen(after, step.id, part);
  };
  await registerWaits(env, state, take, { again: true });
  return resumed;
}
