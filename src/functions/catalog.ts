/**
 * Every function Stepwise runs, wherever it lives: embedded ones (the registry, in this Worker)
 * and remote apps' ones (D1, refreshed at most every {@link REMOTE_TTL_MS} per isolate, and at
 * once in the isolate that handled a sync). Routing, runs, the API and the dashboard all look
 * functions up here, so a remote function is routed, limited and retried like an embedded one.
 */
import type { AppTarget } from "../../sdk/app-protocol.ts";
import type { FunctionConfig, StepwiseFunction, Trigger } from "../../sdk/function.ts";
import { listRemoteFunctions, type RemoteFunction } from "../db/apps.ts";
import type { Env } from "../env.ts";
import { registry } from "../registry.ts";

/** How long an isolate trusts its copy of the remote functions. */
export const REMOTE_TTL_MS = 2_000;

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
}

let remote: { at: number; byId: Map<string, RemoteFunction> } | undefined;
let loading: Promise<Map<string, RemoteFunction>> | undefined;
/** Bumped by a sync, so a load begun before it cannot store what it read. */
let generation = 0;

const fromEmbedded = (fn: StepwiseFunction): CatalogFunction => ({ id: fn.id, appId: fn.appId, config: fn.config, triggers: fn.triggers, embedded: fn });
const fromRemote = (fn: RemoteFunction): CatalogFunction => ({ id: fn.id, appId: fn.appId, config: fn.config, triggers: fn.triggers, remote: fn.target });

async function remoteFunctions(env: Env): Promise<Map<string, RemoteFunction>> {
  if (remote && Date.now() - remote.at < REMOTE_TTL_MS) return remote.byId;
  const started = generation;
  const load = (loading ??= listRemoteFunctions(env.DB)
    .then((functions) => {
      const byId = new Map(functions.map((fn) => [fn.id, fn]));
      if (started === generation) remote = { at: Date.now(), byId };
      return byId;
    })
    .finally(() => {
      if (loading === load) loading = undefined;
    }));
  return load;
}

/** Forgets this isolate's copy of the remote functions (after a sync). */
export function forgetRemoteFunctions(): void {
  generation++;
  remote = undefined;
  loading = undefined;
}

/** Every function, embedded first. */
export async function listFunctions(env: Env): Promise<CatalogFunction[]> {
  const embedded = registry.list();
  const ids = new Set(embedded.map((fn) => fn.id));
  const others = [...(await remoteFunctions(env)).values()].filter((fn) => !ids.has(fn.id));
  return [...embedded.map(fromEmbedded), ...others.map(fromRemote)];
}

/** One function by id, or undefined when no app serves it. */
export async function getFunction(env: Env, id: string): Promise<CatalogFunction | undefined> {
  const embedded = registry.get(id);
  if (embedded) return fromEmbedded(embedded);
  const found = (await remoteFunctions(env)).get(id);
  return found ? fromRemote(found) : undefined;
}
