/**
 * What the counting harness checks after the workload, beyond counting (SCALE.md §7.4): the run
 * index against the rows the runs sent it (H8), waiters left for runs that ended (H9), and the largest
 * value any object stores (H7). Each reads the objects directly, past the counting env, so the
 * check adds nothing to the counts.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { z } from "zod";
import { isEnded } from "../../sdk/run-status.ts";
import { CLASSES } from "./counting.ts";
import { indexedRuns } from "../indexed.ts";

/** An object the workload touched, as the counters name it. */
export interface Touched {
  cls: string;
  name: string;
}

const namespaceOf = (cls: string): DurableObjectNamespace => {
  const binding = Object.entries(CLASSES).find(([, held]) => held === cls)?.[0];
  if (!binding) throw new Error(`no binding holds ${cls}`);
  return (env as unknown as Record<string, DurableObjectNamespace>)[binding]!;
};

const stubOf = (object: Touched) => {
  const namespace = namespaceOf(object.cls);
  return namespace.get(namespace.idFromName(object.name));
};

/**
 * Runs whose index row is missing or older than the newest row the run sent (./worker.ts notes
 * every delivery, the ones made to fail too): what a lost delivery would leave behind.
 */
export async function indexMismatches(): Promise<{ runs: number; mismatches: string[] }> {
  const sent = z
    .record(z.string(), z.object({ status: z.string(), updatedAt: z.number() }))
    .parse(await (await SELF.fetch("http://stepwise/__hotspots/sent-rows")).json());
  const rows = new Map((await indexedRuns({}, 1_000)).map((row) => [row.id, row]));
  const mismatches = Object.entries(sent).flatMap(([runId, newest]) => {
    const row = rows.get(runId);
    return row !== undefined && row.updatedAt >= newest.updatedAt
      ? []
      : [
          `${runId}: sent ${newest.status} at ${newest.updatedAt}, index ${row ? `${row.status} at ${row.updatedAt}` : "missing"}`,
        ];
  });
  return { runs: Object.keys(sent).length, mismatches };
}

/** Waiters in the WaitIndexes named that belong to runs which have ended. */
export async function waitersOfEndedRuns(waitIndexNames: string[]): Promise<string[]> {
  const left: string[] = [];
  for (const name of waitIndexNames) {
    const runIds = await runInDurableObject(stubOf({ cls: "WaitIndex", name }), async (_instance, state) => {
      const made = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'waiters'").toArray().length;
      if (made === 0) return [];
      return state.storage.sql
        .exec<{ run_id: string }>("SELECT DISTINCT run_id FROM waiters")
        .toArray()
        .map((row) => row.run_id);
    });
    for (const runId of runIds) {
      const status = (await env.RUN.get(env.RUN.idFromName(runId)).getStatus())?.status;
      if (status === undefined || isEnded(status)) left.push(`${JSON.stringify(name)}: ${runId} (${status ?? "gone"})`);
    }
  }
  return left;
}

const sizeOf = (value: unknown): number =>
  typeof value === "string"
    ? new TextEncoder().encode(value).length
    : value instanceof ArrayBuffer
      ? value.byteLength
      : ArrayBuffer.isView(value)
        ? value.byteLength
        : value === null || value === undefined
          ? 0
          : typeof value === "object"
            ? new TextEncoder().encode(JSON.stringify(value)).length
            : 8;

/** The largest value (one KV value or one SQL cell, in bytes) each class's touched objects store. */
export async function largestStoredValues(
  objects: Touched[],
): Promise<Record<string, { bytes: number; where: string }>> {
  const largest: Record<string, { bytes: number; where: string }> = {};
  for (const object of objects) {
    const found = await runInDurableObject(stubOf(object), async (_instance, state) => {
      let best = { bytes: 0, where: "" };
      const note = (value: unknown, where: string) => {
        const bytes = sizeOf(value);
        if (bytes > best.bytes) best = { bytes, where };
      };
      for (const [key, value] of state.storage.kv.list()) note(value, `kv ${key}`);
      const tables = state.storage.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
        )
        .toArray();
      for (const { name } of tables)
        for (const row of state.storage.sql.exec(`SELECT * FROM "${name}"`))
          for (const [column, value] of Object.entries(row)) note(value, `${name}.${column}`);
      return best;
    });
    if (found.bytes > (largest[object.cls]?.bytes ?? -1))
      largest[object.cls] = {
        bytes: found.bytes,
        where: `${object.name.replace(/^\u0000/, "keyed ").slice(0, 40)} ${found.where}`,
      };
  }
  return largest;
}
