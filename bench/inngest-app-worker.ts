/**
 * The benchmark's Inngest app on Workers: the sequential workload served by `inngest/cloudflare`
 * in a Worker of its own (bench/inngest-app.wrangler.toml), which Stepwise reaches through a
 * service binding as BENCH_INNGEST_APP, and which reaches Stepwise (its checkpoints) through its
 * own binding, STEPWISE. Signed calls, as in production (cloud mode).
 */
import { serve } from "inngest/cloudflare";
import { inngestSequential } from "./inngest-functions.ts";

interface AppEnv {
  STEPWISE: Fetcher;
}

/** The binding of the request being served. */
let stepwise: Fetcher | undefined;

const { inngest, fns } = inngestSequential("bench-inngest-binding", {
  baseUrl: "https://stepwise.internal",
  fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
    if (!stepwise) throw new Error("no Stepwise binding yet");
    return stepwise.fetch(new Request(input, init));
  }) as typeof fetch,
});
const handler = serve({ client: inngest, functions: fns }) as unknown as (
  request: Request,
  env: Record<string, unknown>,
) => Promise<Response>;

export default {
  fetch(request: Request, env: AppEnv & Record<string, unknown>): Promise<Response> {
    stepwise = env.STEPWISE;
    return handler(request, env);
  },
};
