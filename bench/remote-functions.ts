/**
 * The sequential workload of bench/functions.ts as a remote app would serve it, under a
 * function id of its own: `appId` names the app (one behind a service binding, one on Node).
 */
import { Stepwise, type StepwiseFunction } from "../sdk/index.ts";

/** The 200-sequential-steps function of an app called `appId`, with id `functionId`. */
export function remoteSequential(appId: string, functionId: string): { client: Stepwise; fn: StepwiseFunction } {
  const client = new Stepwise({ id: appId });
  const fn = client.createFunction<{ steps: number }>({ id: functionId }, [], async ({ event, step }) => {
    let last = 0;
    for (let i = 0; i < event.data.steps; i++) last = await step.run("step", () => Date.now());
    return last;
  });
  return { client, fn };
}

/** `n` parallel steps of `client`'s app, each returning its index: a remote fan-out. */
export function remoteFanOut(client: Stepwise, functionId: string): StepwiseFunction {
  return client.createFunction<{ n: number }>({ id: functionId }, [], async ({ event, step }) => {
    const parts = await Promise.all(Array.from({ length: event.data.n }, (_, i) => step.run(`item-${i}`, () => i)));
    return parts.length;
  });
}
