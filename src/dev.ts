/**
 * The local Stepwise of `npm run dev`: the standalone Worker plus the example functions. It runs
 * only with STEPWISE_ENV=development (the dev script sets it), so the examples, which listen on
 * common event names such as `user/signed-up`, can never end up in a deployed Worker by mistake;
 * the deployed entry (src/index.ts) does not import them at all.
 */
import { env } from "cloudflare:workers";
import { examples } from "../examples/index.ts";
import { createStepwise } from "./worker.ts";

export {
  BulkJob,
  ConcurrencyLimiter,
  CronScheduler,
  EventCollector,
  EventShard,
  EventSweeper,
  FlowGate,
  IdempotencyShard,
  RealtimeStream,
  RunIndexBuffer,
  RunObject,
  StepwiseRpc,
  WaitIndex,
} from "./worker.ts";

const mode: unknown = Reflect.get(env, "STEPWISE_ENV");
if (mode !== "development") {
  throw new Error(
    `src/dev.ts registers the example functions and runs only with STEPWISE_ENV=development (it is ${JSON.stringify(mode)}); deploy src/index.ts`,
  );
}

export default createStepwise({ functions: examples });
