/**
 * Before the counting test, as a deployment's start-up does: applies the D1 migrations and has the
 * EventShards learn the listened names, so they hand only those to their WaitIndex.
 */
import { applyD1Migrations, env } from "cloudflare:test";
import { settleListening } from "../../src/core/events/listening.ts";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await settleListening(env);
