/**
 * Every function Stepwise runs, wherever it lives: embedded ones (the registry, in this Worker)
 * and remote apps' ones (D1, read again only when an app synced: at once in the isolate that
 * handled the sync; elsewhere when the catalogue's generation moved). Routing learns the
 * generation from the EventShard it routes from (durable-objects/events/catalog-generation.ts),
 * so it asks D1 nothing while no app syncs; other callers check the generation in D1 at most every
 * {@link REMOTE_TTL_MS} per isolate. Routing, runs, the API and the dashboard all look functions
 * up here, so a remote function is routed, limited and retried like an embedded one.
 */
import type { AppFeature, AppTarget } from "../../../sdk/app-protocol.ts";
import type { FunctionConfig, StepwiseFunction, Trigger } from "../../../sdk/function.ts";
import { listRemoteFunctions, type RemoteFunction } from "../db/apps.ts";
import { readCatalogState } from "../db/catalog-state.ts";
import { readControls, type FunctionControl } from "../db/function-controls.ts";
import type { Env } from "../env.ts";
import { registry } from "./registry.ts";

/**
 * How long an isolate running an embedded function's runs trusts a copy in which no function is
 * paused: the most a pause takes to reach them, and what keeps D1 off their path.
 */
const UNPAUSED_TTL_MS = 60_000;
/** How long an isolate trusts its copy of the remote functions before it checks the generation. */
const REMOTE_TTL_MS = 2_000;
/**
 * How long a copy whose generation an EventShard confirmed is trusted before D1 is asked anyway:
 * it bounds how late routing sees a sync whose announcement a shard missed (the cron tick repeats
 * the announcement too).
 */
const CONFIRMED_TTL_MS = 5 * 60_000;

/** Whether `fn` is a function of an app served by the official `inngest` SDK (Inngest's protocol and rules). */
export const isInngestFunction = (fn: CatalogFunction | undefined): boolean => fn?.remote?.protocol === "inngest";

/** A function and where it runs. */
export interface CatalogFunction {
  id: string;
  appId: string;
  config: FunctionConfig;
  triggers: Trigger[];
  /** In this Worker: the function itself. */
  embedded?: StepwiseFunction;
  /** In an app of its own: where to reach it. */
  remote?: AppTarget;
  /** In an app of its own: what the app's SDK can do beyond the protocol's base. */
  features?: AppFeature[];
  /** Paused or draining by an operator (see db/function-controls.ts); absent: runs as usual. */
  control?: FunctionControl;
  /** A remote function's code version: its app and when that deployment synced. */
  appVersion?: string;
}

/**
 * The version of the code a run of `fn` executes: an embedded function's Worker version (its
 * `[version_metadata]` binding), a remote one's app deployment; undefined when unknown.
 */
export function codeVersion(env: Env, fn: CatalogFunction | undefined): string | undefined {
  return fn?.remote ? fn.appVersion : env.CF_VERSION_METADATA?.id || undefined;
}

/**
 * This isolate's copy of the remote functions. It is plain data, so any object or request of the
 * isolate may read it; a read of D1 in flight is never shared. Its promise belongs to the Durable
 * Object or request that started it (workerd ties I/O to that context): when that object is
 * evicted or reset before D1 answers, the promise never settles, and every caller waiting on it
 * (the router, every run of a remote function) would hang for the life of the isolate; and I/O
 * crossing objects is what workerd refuses with "Cannot perform I/O on behalf of a different
 * Durable Object". So each caller that finds the copy stale reads D1 itself.
 */
let remote: { at: number; generation: number; byId: Map<string, RemoteFunction>; controls: Controls } | undefined;
type Controls = Map<string, FunctionControl>;
/** What the catalogue reads from D1: remote functions and every function's control. */
interface Stored {
  byId: Map<string, RemoteFunction>;
  controls: Controls;
}
/** Bumped by a sync, so a read begun before it cannot store what it read. */
let generation = 0;

const controlled = (control: FunctionControl | undefined) => (control ? { control } : {});
const fromEmbedded = (fn: StepwiseFunction, controls: Controls): CatalogFunction => ({
  id: fn.id,
  appId: fn.appId,
  config: fn.config,
  triggers: fn.triggers,
  embedded: fn,
  ...controlled(controls.get(fn.id)),
});
const fromRemote = (fn: RemoteFunction, controls: Controls): CatalogFunction => ({
  id: fn.id,
  appId: fn.appId,
  config: fn.config,
  triggers: fn.triggers,
  remote: fn.target,
  features: fn.features,
  appVersion: `${fn.appId}@${new Date(fn.syncedAt).toISOString()}`,
  ...controlled(controls.get(fn.id)),
});

/**
 * The remote functions and the controls. `known` is the generation an EventShard named: a copy of that generation
 * is current (as of that shard's knowledge), so it is kept without asking D1 for a while. Any other
 * generation (newer, or older: a shard that missed an announcement, or a D1 restored to an earlier
 * state) has D1 asked.
 */
async function stored(env: Env, known?: number): Promise<Stored> {
  const age = remote ? Date.now() - remote.at : Infinity;
  if (remote && known !== undefined && remote.generation === known && age < CONFIRMED_TTL_MS) return remote;
  if (remote && known === undefined && age < REMOTE_TTL_MS) return remote;
  const started = generation;
  const readAt = Date.now();
  // One row says whether any app synced since the copy was read; only then is it read again.
  const current = (await readCatalogState(env.DB)).generation;
  const kept = remote;
  if (kept && kept.generation === current) {
    if (started === generation && kept === remote) remote = { ...kept, at: readAt };
    return kept;
  }
  const [functions, controls] = await Promise.all([listRemoteFunctions(env.DB), readControls(env.DB)]);
  const byId = new Map(functions.map((fn) => [fn.id, fn]));
  // Reads overlap when several callers found the copy stale: a slower, older one keeps out. A
  // sync between the two reads leaves a newer list under an older generation, read again next time.
  if (started === generation && (!remote || remote.at <= readAt))
    remote = { at: readAt, generation: current, byId, controls };
  return { byId, controls };
}

/** Forgets this isolate's copy of the remote functions (after a sync). */
export function forgetRemoteFunctions(): void {
  generation++;
  remote = undefined;
}

/**
 * Every function, embedded first. `knownGeneration` is the catalogue generation an EventShard
 * named while routing, if it named one: a copy that new is used without reading D1.
 */
export async function listFunctions(env: Env, knownGeneration?: number): Promise<CatalogFunction[]> {
  const embedded = registry.list();
  const ids = new Set(embedded.map((fn) => fn.id));
  const { byId, controls } = await stored(env, knownGeneration);
  const others = [...byId.values()].filter((fn) => !ids.has(fn.id));
  return [...embedded.map((fn) => fromEmbedded(fn, controls)), ...others.map((fn) => fromRemote(fn, controls))];
}

/** One function by id, or undefined when no app serves it. */
export async function getFunction(env: Env, id: string): Promise<CatalogFunction | undefined> {
  const embedded = registry.get(id);
  if (embedded) {
    // While no function is paused, a run of an embedded function trusts the copy for a minute, so
    // its isolate reads D1 at most once a minute (a pause reaches it within that); while one is,
    // every 2 s, so a resume is seen at once.
    const copy = remote;
    if (copy && copy.controls.size === 0 && Date.now() - copy.at < UNPAUSED_TTL_MS)
      return fromEmbedded(embedded, copy.controls);
    // An embedded function needs D1 only for its control: when D1 cannot be read, it runs as not
    // paused rather than not at all.
    const controls = await stored(env).then(
      (read) => read.controls,
      (error: unknown) => {
        console.error(`stepwise: could not read whether "${id}" is paused; it runs as not paused`, error);
        return new Map<string, FunctionControl>();
      },
    );
    return fromEmbedded(embedded, controls);
  }
  const { byId, controls } = await stored(env);
  const found = byId.get(id);
  return found ? fromRemote(found, controls) : undefined;
}
