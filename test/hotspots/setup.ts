/** Applies the D1 migrations before the counting test, as the dev command does. */
import { applyD1Migrations, env } from "cloudflare:test";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
