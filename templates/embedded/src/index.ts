/** The Worker: Stepwise embedded, running this app's functions in-process. */
import { createStepwise } from "stepwise/worker";
import { hello } from "./hello.ts";

// Stepwise's Durable Objects and RPC entrypoint live in this Worker, so it exports them.
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
} from "stepwise/worker";

export default createStepwise({ functions: [hello] });
