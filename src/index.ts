/**
 * The standalone Stepwise Worker (what `wrangler deploy` ships from this repository): the engine
 * with no functions of its own. Apps bring theirs with `serve()` and register over a service
 * binding or HTTPS. `npm run dev` starts src/dev.ts instead, which adds the examples.
 */
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

export default createStepwise();
