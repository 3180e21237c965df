/**
 * The benchmark's remote app: a Worker of its own (bench/app.wrangler.toml) serving the
 * sequential workload with serve(), which the benchmark Worker reaches as BENCH_APP.
 */
import { serve, type ServeHandler } from "../sdk/index.ts";
import { remoteSequential } from "./remote-functions.ts";

const { client, fn } = remoteSequential("bench-binding-app", "bench-binding-sequential");
let handler: ServeHandler | undefined;

export default {
  fetch(request: Request, env: { STEPWISE_SIGNING_KEY: string }): Promise<Response> {
    handler ??= serve({ client, functions: [fn], signingKey: env.STEPWISE_SIGNING_KEY });
    return handler(request);
  },
};
