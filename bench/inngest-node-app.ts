/**
 * The benchmark's Inngest app on Node: the sequential workload served by `inngest/node` over HTTP
 * on loopback. bench/run.mjs bundles this file with esbuild and starts it beside wrangler dev.
 */
import { createServer } from "node:http";
import { serve } from "inngest/node";
import { inngestSequential } from "./inngest-functions.ts";

/** Starts the app on `port`, reaching Stepwise at `stepwiseUrl`; resolves with its URL and a stop function. */
export async function startInngestNodeApp(
  port: number,
  stepwiseUrl: string,
): Promise<{ url: string; stop: () => void }> {
  const { inngest, fns } = inngestSequential("bench-inngest-http", { baseUrl: stepwiseUrl });
  const server = createServer(serve({ client: inngest, functions: fns }));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${port}/api/inngest`, stop: () => server.close() };
}
