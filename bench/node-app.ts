/**
 * The benchmark's remote app on Node: the sequential workload served over HTTP on loopback.
 * bench/run.mjs bundles this file with esbuild and starts it beside wrangler dev.
 */
import { createServer } from "node:http";
import { serve, toNodeListener } from "../sdk/index.ts";
import { remoteSequential } from "./remote-functions.ts";

/** Starts the app on `port`; resolves with its URL and a stop function. */
export async function startNodeApp(port: number, signingKey: string): Promise<{ url: string; stop: () => void }> {
  const { client, fn } = remoteSequential("bench-http-app", "bench-http-sequential");
  const server = createServer(toNodeListener(serve({ client, functions: [fn], signingKey })));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${port}/api/stepwise`, stop: () => server.close() };
}
