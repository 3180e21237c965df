/**
 * Isolates re-read the remote functions only when an app synced: a stale copy costs one row read
 * of the catalogue's generation, and the full read of functions and apps happens on a change.
 * Routing reads not even that: the EventShard it routes from names the generation.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { saveApp } from "../src/core/db/apps.ts";
import { syncFunctions } from "../src/core/db/functions.ts";
import type { Env } from "../src/core/env.ts";
import { forgetRemoteFunctions, getFunction, listFunctions } from "../src/core/functions/catalog.ts";
import { announceCatalog } from "../src/core/functions/catalog-generation.ts";
import { readShardEvents, recordEvents } from "../src/core/events/store.ts";
import { registry } from "../src/core/functions/registry.ts";

/** The real database, noting the SQL of every statement prepared on it. */
function countingDb(): { db: D1Database; sql: string[] } {
  const sql: string[] = [];
  const db = new Proxy(env.DB, {
    get(target, key) {
      if (key === "prepare")
        return (query: string) => {
          sql.push(query);
          return target.prepare(query);
        };
      const value = Reflect.get(target, key) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db, sql };
}

const scans = (sql: string[]) => sql.filter((query) => query.includes("JOIN apps")).length;
const ttlPasses = () => new Promise((resolve) => setTimeout(resolve, 2_100));

describe("the remote catalogue, by generation", () => {
  it("reads one row while no app syncs, and everything once one does", { timeout: 15_000 }, async () => {
    forgetRemoteFunctions();
    const { db, sql } = countingDb();
    const counted = { ...env, DB: db } as Env;
    await listFunctions(counted);
    expect(scans(sql)).toBe(1);
    await ttlPasses();
    await listFunctions(counted);
    expect(scans(sql)).toBe(1);
    expect(sql.filter((query) => query.includes("FROM catalog_state")).length).toBe(2);

    // Another isolate syncs an app (nothing here forgets the copy): the next refresh sees it.
    const id = `gen-${crypto.randomUUID().slice(0, 8)}`;
    await saveApp(
      env.DB,
      { id, target: { url: "https://gen.example.com/api" }, sdk: "test", features: [], syncedAt: Date.now() },
      [{ id: `${id}-fn`, config: { id: `${id}-fn`, retries: 3 }, triggers: [{ event: `${id}/go` }] }],
    );
    expect(await getFunction(counted, `${id}-fn`)).toBeUndefined();
    await ttlPasses();
    expect((await getFunction(counted, `${id}-fn`))?.remote).toEqual({ url: "https://gen.example.com/api" });
    expect(scans(sql)).toBe(2);
  });

  it("writes the embedded functions once per change of them, not once per isolate", async () => {
    const functions = registry.list();
    await syncFunctions(env.DB, functions, Date.now());
    expect(await syncFunctions(env.DB, functions, Date.now())).toBe(false);
    expect(await syncFunctions(env.DB, functions.slice(1), Date.now())).toBe(true);
    expect(await syncFunctions(env.DB, functions, Date.now())).toBe(true);
  });

  it("routing asks D1 nothing while the shard names the generation of the copy, and reads again once a sync is announced", async () => {
    forgetRemoteFunctions();
    const { db, sql } = countingDb();
    const counted = { ...env, DB: db } as Env;
    const generation = await announceCatalog(env);
    const [recorded] = await recordEvents(env, [{ id: crypto.randomUUID(), name: "gen/any", data: {}, ts: 1 }], 1);
    expect(recorded!.catalog).toBe(generation);
    await listFunctions(counted, recorded!.catalog);
    const reads = sql.length;
    await ttlPasses();
    await listFunctions(counted, recorded!.catalog);
    expect(sql.length).toBe(reads);

    // Another isolate syncs an app and announces it: the shard names the new generation, so the
    // next routing reads the functions again, however fresh its copy.
    const id = `gen-${crypto.randomUUID().slice(0, 8)}`;
    await saveApp(
      env.DB,
      { id, target: { url: "https://gen.example.com/api" }, sdk: "test", features: [], syncedAt: Date.now() },
      [{ id: `${id}-fn`, config: { id: `${id}-fn`, retries: 3 }, triggers: [{ event: `${id}/go` }] }],
    );
    expect(await announceCatalog(env)).toBe(generation + 1);
    const read = await readShardEvents(env, recorded!.shard, [...recorded!.fresh]);
    expect(read.catalog).toBe(generation + 1);
    const functions = await listFunctions(counted, read.catalog);
    expect(functions.find((fn) => fn.id === `${id}-fn`)?.triggers).toEqual([{ event: `${id}/go` }]);
    expect(scans(sql)).toBe(2);

    // A shard naming another generation than the copy's, even an older one (it missed the
    // announcement, or D1 was restored to an earlier state), has D1's generation read.
    const generationReads = () => sql.filter((query) => query.includes("FROM catalog_state")).length;
    const before = generationReads();
    await listFunctions(counted, generation);
    expect(generationReads()).toBe(before + 1);
    expect(scans(sql)).toBe(2);
  });
});
