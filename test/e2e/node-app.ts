/**
 * An app on a Node HTTP server, serving functions to a Stepwise dev server over HTTP with
 * serve() and the Node adapter; the end-to-end tests start, kill and restart it.
 */
import { createServer, type Server } from "node:http";
import { serve, Stepwise, toNodeListener } from "../../sdk/index.ts";

const app = new Stepwise({ id: "node-app" });
const attempts = new Map<string, number>();

export const nodeFunctions = [
  app.createFunction<{ n: number }>({ id: "node-parallel" }, { event: "node/parallel" }, async ({ event, step }) => {
    const parts = await Promise.all(Array.from({ length: event.data.n }, (_, i) => step.run(`part-${i}`, () => i + 1)));
    return step.run("sum", () => parts.reduce((sum, value) => sum + value, 0));
  }),
  app.createFunction<{ key: string }>({ id: "node-waiter" }, { event: "node/wait" }, async ({ step }) => {
    const approval = await step.waitForEvent<{ by: string }>("approval", {
      event: "node/approved",
      match: "data.key",
      timeout: "1h",
    });
    return approval ? `approved by ${approval.data.by}` : "timed out";
  }),
  app.createFunction<{ key: string }>({ id: "node-invoker" }, { event: "node/invoke" }, async ({ step }) =>
    step.invoke<{ processed: number }>("items", { function: "process-items", data: { itemIds: ["a", "b", "c"] } }),
  ),
  app.createFunction<{ pause: string }>(
    { id: "node-resilient", retries: 10, backoff: { initial: "300ms", coefficient: 1.5, max: "2s" } },
    { event: "node/resilient" },
    async ({ event, step }) => {
      const first = await step.run("first", () => "one");
      await step.sleep("pause", event.data.pause);
      const second = await step.run("second", () => {
        attempts.set("second", (attempts.get("second") ?? 0) + 1);
        return "two";
      });
      return `${first} ${second}`;
    },
  ),
];

/** How many times the "second" step of node-resilient really ran in this process. */
export const secondStepRuns = (): number => attempts.get("second") ?? 0;

/** Starts the app's server on `port`, registering (on PUT) with the Stepwise at `stepwiseUrl`. */
export async function startNodeApp(
  port: number,
  stepwiseUrl: string,
  signingKey: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const client = new Stepwise({ id: "node-app", baseUrl: stepwiseUrl });
  const url = `http://127.0.0.1:${port}/api/stepwise`;
  const server: Server = createServer(
    toNodeListener(serve({ client, functions: nodeFunctions, signingKey, serveUrl: url })),
  );
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
