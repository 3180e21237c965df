/**
 * The benchmark's remote app: a Worker of its own (bench/app.wrangler.toml) serving the
 * sequential workload and a fan-out with serve(), which the benchmark Worker reaches as
 * BENCH_APP. It counts the bytes of each run's calls (GET /bytes?runId=), so the benchmark can
 * show what a remote fan-out costs per step.
 */
import { serve, type ServeHandler } from "../sdk/index.ts";
import { remoteFanOut, remoteSequential } from "./remote-functions.ts";

const { client, fn } = remoteSequential("bench-binding-app", "bench-binding-sequential");
const fanOut = remoteFanOut(client, "bench-binding-fanout");
let handler: ServeHandler | undefined;

/** Bytes of the calls (request bodies) and answers of the latest runs, by run id. */
const bytes = new Map<string, { calls: number; sent: number; answered: number }>();
const KEPT_RUNS = 100;

async function counted(request: Request, serveIt: ServeHandler): Promise<Response> {
  const body = await request.clone().text();
  const response = await serveIt(request);
  const runId = /"runId":"([^"]+)"/.exec(body)?.[1];
  if (!runId) return response;
  const answer = await response.clone().text();
  const seen = bytes.get(runId) ?? { calls: 0, sent: 0, answered: 0 };
  bytes.delete(runId);
  const size = (text: string) => new TextEncoder().encode(text).byteLength;
  bytes.set(runId, { calls: seen.calls + 1, sent: seen.sent + size(body), answered: seen.answered + size(answer) });
  if (bytes.size > KEPT_RUNS) bytes.delete(bytes.keys().next().value!);
  return response;
}

export default {
  fetch(request: Request, env: { STEPWISE_SIGNING_KEY: string }): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/bytes")
      return Promise.resolve(Response.json(bytes.get(url.searchParams.get("runId") ?? "") ?? null));
    handler ??= serve({ client, functions: [fn, fanOut], signingKey: env.STEPWISE_SIGNING_KEY });
    return request.method === "POST" ? counted(request, handler) : handler(request);
  },
};
