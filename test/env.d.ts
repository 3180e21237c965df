import type { D1Migration } from "cloudflare:test";
import type { Env as StepwiseEnv } from "../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends StepwiseEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
