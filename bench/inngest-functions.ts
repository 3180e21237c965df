/**
 * The sequential workload of bench/functions.ts written with the official `inngest` SDK, as an
 * Inngest user has it: 200 `step.run`s under one repeated id, served unchanged on Stepwise.
 */
import { Inngest } from "inngest";

/** The signing key of the benchmark's Inngest apps and of the benchmark Stepwise (not a secret). */
export const BENCH_INNGEST_KEY = "signkey-bench-0123456789abcdef0123456789abcdef";

/**
 * The app `appId` with the workload twice: `sequential` as written by default, and `buffered`,
 * the same with Inngest's own `checkpointing: { bufferedSteps: 50 }` (one checkpoint per 50
 * steps). `baseUrl` (and `fetch`) are where it reaches Stepwise, as INNGEST_BASE_URL would say.
 */
export function inngestSequential(appId: string, options: { baseUrl: string; fetch?: typeof fetch }) {
  const inngest = new Inngest({ id: appId, signingKey: BENCH_INNGEST_KEY, ...options });
  const handler = async ({ event, step }: { event: { data: Record<string, unknown> }; step: StepTools }) => {
    let last = 0;
    for (let i = 0; i < Number(event.data.steps); i++) last = await step.run("step", () => Date.now());
    return last;
  };
  const fns = [
    inngest.createFunction({ id: "sequential", triggers: [{ event: "bench/sequential" }] }, handler),
    inngest.createFunction(
      { id: "buffered", triggers: [{ event: "bench/buffered" }], checkpointing: { bufferedSteps: 50 } },
      handler,
    ),
  ];
  return { inngest, fns };
}

/** The one step tool the workload uses. */
interface StepTools {
  run: (id: string, fn: () => number) => Promise<number>;
}
