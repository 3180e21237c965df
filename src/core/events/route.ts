/**
 * Routing: starts one run per (event, matching function) and hands each event to the runs waiting
 * for it (their WaitIndex). Run ids are derived from the function,
 * the event id and when the event was accepted, so routing the same event twice (a queue
 * redelivery, the sweeper) starts nothing new. An event is marked routed only after all its runs
 * have started (in the EventShard that holds it).
 */
import { deliveredSchema, type Effect } from "./effects.ts";
import { MAX_RUN_DELAY_MS } from "../../../sdk/delay.ts";
import { withEventData } from "../payloads/event-data.ts";
import { toRunEvent, type StoredEvent } from "./schema.ts";
import type { Env } from "../env.ts";
import { claimKeys, type KeyClaim } from "./idempotency.ts";
import { markRouted } from "./store.ts";
import { keyedListeners, listenedIn } from "./listening.ts";
import { keyedDeliveries, type ShardListening } from "../waits/wait-targets.ts";
import { derivedId } from "../lib/ids.ts";
import { listFunctions } from "../functions/catalog.ts";
import { compileExpression, keyOf } from "../../../sdk/expression.ts";
import type { FunctionConfig } from "../../../sdk/function.ts";
import { collectorSpecOf } from "./collector-spec.ts";
import { matchFunctions } from "./match.ts";
import { startRun } from "../runs/start.ts";
import { pool, type Pool } from "../lib/pool.ts";
import { groupBy } from "../lib/group.ts";
import { eventCollector, waitIndex } from "../objects.ts";

/** A run the router decided to start. */
interface PlannedRun {
  runId: string;
  functionId: string;
  config: FunctionConfig;
  event: StoredEvent;
  idempotencyKey?: string;
}

/**
 * Hands events to the WaitIndexes listening for them, which resume the runs waiting: the home
 * index of each name whose home listens, and each listening keyed shard of the name the events
 * whose value hashes to its slot (src/core/waits/wait-targets.ts). Only those the shard named when
 * it recorded or read the events (see durable-objects/events/listened.ts): names no run waits
 * for (most traffic) cost nothing here, and a popular name's events spread over its keyed shards.
 */
async function deliverToWaits(env: Env, events: StoredEvent[], listening: ShardListening): Promise<Effect[]> {
  const homes = new Set(listening.listened);
  const deliveries = groupBy(
    events.filter((event) => homes.has(event.name)),
    (event) => event.name,
  );
  const keyed = await keyedListeners(
    env,
    listening,
    events.map((event) => event.name),
  );
  for (const [target, reached] of keyedDeliveries(events, keyed)) deliveries.set(target, reached);
  const answers = await Promise.all(
    [...deliveries].map(([target, sent]) =>
      waitIndex(env, target).deliver(
        // Whole, so conditions read data kept in R2; the WaitIndex keeps and hands on only its claim.
        sent.map((event) => ({ event: toRunEvent(event, { whole: true }), receivedAt: event.receivedAt })),
      ),
    ),
  );
  return answers.flatMap((answer) => deliveredSchema.parse(answer).effects);
}

/** For a function that debounces or batches its events, the EventCollector that holds this one. */
function collectorFor(env: Env, functionId: string, config: FunctionConfig, event: StoredEvent) {
  const spec = collectorSpecOf(functionId, config);
  if (!spec) return undefined;
  const keyExpression = config?.debounce?.key ?? config?.batchEvents?.key;
  const key = keyExpression === undefined ? "" : (keyOf(compileExpression(keyExpression), { event }) ?? "");
  return {
    stub: eventCollector(env, functionId, spec.kind, key),
    spec,
    name: JSON.stringify([functionId, spec.kind, key]),
  };
}

/** The run id an event gives a function: the same every time the same event is routed. */
function runIdFor(functionId: string, event: StoredEvent): Promise<string> {
  return derivedId(event.receivedAt, functionId, event.id, String(event.receivedAt));
}

async function plan(env: Env, events: StoredEvent[], catalog: number | undefined): Promise<PlannedRun[]> {
  const functions = await listFunctions(env, catalog);
  const planned: PlannedRun[] = [];
  for (const event of events) {
    for (const match of matchFunctions(functions, event)) {
      const runId = await runIdFor(match.fn.id, event);
      planned.push({
        runId,
        functionId: match.fn.id,
        config: match.fn.config,
        event,
        ...(match.idempotencyKey !== undefined ? { idempotencyKey: match.idempotencyKey } : {}),
      });
    }
  }
  return planned;
}

/** Run starts (and collector adds) one routing keeps in flight, unless its caller shares a pool. */
const STARTS_IN_FLIGHT = 50;

/** How one routing goes. */
export interface RouteOptions {
  /**
   * Who listens for these events' names, as their shard answered when it recorded or read them;
   * without it the shard is asked.
   */
  listening?: ShardListening;
  /**
   * The catalogue generation the shard named with these events, if it named one: the functions
   * are read from D1 again only when the isolate's copy is older.
   */
  catalog?: number | undefined;
  /** Run starts go through it, so a caller routing many messages at once bounds them all together. */
  calls?: Pool;
  now?: number;
}

/**
 * Routes recorded events of EventShard `shard`: starts their runs, hands them to the runs waiting,
 * then marks them routed there. Returns the runs started.
 */
export async function routeEvents(
  env: Env,
  shard: number,
  events: StoredEvent[],
  options: RouteOptions = {},
): Promise<string[]> {
  const { calls = pool(STARTS_IN_FLIGHT), now = Date.now() } = options;
  // Triggers' conditions, keys and waits read the data of events kept in R2; runs get the claim.
  events = await withEventData(env, events);
  const listening =
    options.listening ??
    (await listenedIn(
      env,
      shard,
      events.map((event) => event.name),
    ));
  const planned = await plan(env, events, options.catalog);
  const claims: KeyClaim[] = planned.flatMap((run) =>
    run.idempotencyKey === undefined ? [] : [{ functionId: run.functionId, key: run.idempotencyKey, runId: run.runId }],
  );
  const held = new Set((await claimKeys(env, claims, now)).map((claim) => claim.runId));
  const toStart = planned.filter((run) => run.idempotencyKey === undefined || held.has(run.runId));
  // Events for one collector are handed over one after another, in the order given, so a batch
  // holds them in that order and a debounce ends with the last; different collectors in parallel.
  const collecting = new Map<string, Promise<void>>();
  const [effects] = await Promise.all([
    deliverToWaits(env, events, listening),
    ...toStart.map(({ runId, functionId, config, event }) => {
      const collector = collectorFor(env, functionId, config, event);
      // An event timed in the future (within a year) starts its runs then, as on Inngest.
      const startAt = event.ts > now && event.ts - now <= MAX_RUN_DELAY_MS ? { startAt: event.ts } : {};
      if (!collector) return calls(() => startRun(env, { runId, functionId, events: [toRunEvent(event)], ...startAt }));
      const added = (collecting.get(collector.name) ?? Promise.resolve()).then(() =>
        calls(() => collector.stub.add(collector.spec, toRunEvent(event))),
      );
      collecting.set(collector.name, added);
      return added;
    }),
  ]);
  await markRouted(
    env,
    shard,
    events.map((event) => event.id),
    Date.now(),
    effects,
  );
  return toStart.map((run) => run.runId);
}
