import type { D1Migration } from "cloudflare:test";
import type { StepwiseEnv } from "stepwise/worker";

declare global {
  namespace Cloudflare {
    interface Env extends StepwiseEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
