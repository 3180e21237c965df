/**
 * Runs before each workerd test file: applies the D1 migrations, as the dev command does. After
 * the file, clears the alarms its runs left armed: in the Workers vitest pool alarms outlive
 * the test that set them.
 */
import { applyD1Migrations, env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { afterAll } from "vitest";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

afterAll(async () => {
  for (const id of await listDurableObjectIds(env.RUN)) {
    await runInDurableObject(env.RUN.get(id), (_instance, state) => state.storage.deleteAlarm());
  }
});
