/**
 * The Worker the tests run against: the real Stepwise Worker with the test functions registered
 * beside the examples.
 */
import worker from "../src/index.ts";
import { registry } from "../src/registry.ts";
import { eventFunctions } from "./event-functions.ts";
import { testFunctions } from "./functions.ts";

export { BulkJob, ConcurrencyLimiter, CronScheduler, EventCollector, FlowGate, EventSweeper, RunIndexBuffer, RunObject, StepwiseRpc, WaitIndex } from "../src/index.ts";

registry.register(...testFunctions, ...eventFunctions);

export default worker;
