/**
 * Before the counting test, as a deployment's start-up does: applies the D1 migrations and has the
 * EventShards learn the listened names (so they hand only those to their WaitIndex) and the
 * catalogue's generation (so routing reads no functions from D1).
 */
import { applyD1Migrations, env } from "cloudflare:test";
import { settleListening } from "../../src/core/events/listening.ts";
import { announceCatalog } from "../../src/core/functions/catalog-generation.ts";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await settleListening(env);
await announceCatalog(env);
