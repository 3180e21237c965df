/**
 * Runs before each workerd test file: applies the D1 migrations, as the dev command does, and
 * settles the EventShards' listened names, as the start-up pass does. After
 * the file, clears the alarms its runs left armed: in the Workers vitest pool alarms outlive
 * the test that set them.
 */
import { applyD1Migrations, env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { afterAll } from "vitest";
import { settleListening } from "../src/core/events/listening.ts";
import { announceCatalog } from "../src/core/functions/catalog-generation.ts";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
// As a deployment's start-up pass does: the shards learn the listened names (none yet), so they
// hand only listened names to their WaitIndex, and the catalogue's generation, which routing reads
// from them instead of from D1.
await settleListening(env);
await announceCatalog(env);

/** Objects cleared at once: a file that made thousands of runs must not outlast the hook. */
const CLEAR_CONCURRENCY = 16;

async function clearAlarms<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
): Promise<void> {
  const ids = await listDurableObjectIds(namespace);
  const worker = async (): Promise<void> => {
    for (let id = ids.pop(); id; id = ids.pop())
      await runInDurableObject(namespace.get(id), (_instance, state) => state.storage.deleteAlarm());
  };
  await Promise.all(Array.from({ length: CLEAR_CONCURRENCY }, worker));
}

// Generous: on a loaded 2-core machine a file's hundreds of objects take a while to visit.
afterAll(async () => {
  await clearAlarms(env.RUN);
  await clearAlarms(env.RUN_INDEX);
  await clearAlarms(env.SWEEPER);
  await clearAlarms(env.EVENT_SHARDS);
  await clearAlarms(env.IDEMPOTENCY);
  await clearAlarms(env.CRON);
  await clearAlarms(env.WAITS);
  await clearAlarms(env.BULK);
  await clearAlarms(env.LIMITS);
  await clearAlarms(env.GATES);
  await clearAlarms(env.COLLECTORS);
}, 120_000);
