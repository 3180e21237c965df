/**
 * The Worker the tests run against: Stepwise embedded with `createStepwise`, as a user's Worker
 * embeds it, with the example functions and the test functions.
 */
import { examples } from "../examples/index.ts";
import { createStepwise } from "../src/worker.ts";
import { eventFunctions } from "./event-functions.ts";
import { testFunctions } from "./functions.ts";
import { tokenFunctions } from "./token-functions.ts";

export {
  BulkJob,
  ConcurrencyLimiter,
  CronScheduler,
  EventCollector,
  FlowGate,
  IdempotencyShard,
  EventShard,
  EventSweeper,
  RealtimeStream,
  RunIndexBuffer,
  RunObject,
  StepwiseRpc,
  WaitIndex,
} from "../src/worker.ts";

export default createStepwise({ functions: [...examples, ...testFunctions, ...eventFunctions, ...tokenFunctions] });
