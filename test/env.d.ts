import type { D1Migration } from "cloudflare:test";
import type { Env as StepwiseEnv } from "../src/core/env.ts";

/** What the caller Worker reports back from one RPC call. */
type CallResult =
  | { ok: true; value: unknown }
  | { ok: false; refused: true; code: string; status: number; message: string }
  | { ok: false; thrown: true; name: string; message: string };

declare global {
  namespace Cloudflare {
    interface Env extends StepwiseEnv {
      TEST_MIGRATIONS: D1Migration[];
      /** test/fixtures/caller-worker.js: calls Stepwise's RPC entrypoint through a service binding. */
      CALLER: Fetcher & { call(method: string, args: unknown[]): Promise<CallResult> };
      /** test/fixtures/remote-app.ts: a user's app serving functions with serve(). */
      REMOTE_APP: Fetcher;
      /** test/fixtures/inngest-app.ts: an app served by the official inngest SDK (dev mode). */
      INNGEST_APP: Fetcher;
      /** test/e2e/receiver.ts: alert channels on loopback, in Node. */
      ALERT_RECEIVER_URL: string;
    }
  }
}
