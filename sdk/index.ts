/**
 * Stepwise SDK: the only public entry point. Everything not exported here is internal.
 */
export { Stepwise } from "./client.ts";
export type { StepwiseOptions, CreateFunctionConfig } from "./client.ts";
export {
  StepwiseError,
  NonRetriableError,
  RetryAfterError,
  StepError,
  NonDeterminismError,
  InvalidFunctionError,
  InvalidStepError,
  StepTimeoutError,
} from "./errors.ts";
export { InvalidDurationError, toMs } from "./duration.ts";
export { SendEventsError } from "./send.ts";
export { StepwiseRefusedError } from "./refusal.ts";
export type {
  StepwiseBinding,
  ListRunsFilter,
  RpcAnswer,
  Refusal,
  CancelResult,
  RescheduleResult,
  TokenCompleted,
  InvokeCallOptions,
} from "./binding.ts";
export { MAX_RUN_DELAY_MS, type DelayOptions } from "./delay.ts";
export { CONTROL_MODES, MAX_CONTROL_REASON } from "./function-control.ts";
export { Schedules } from "./schedule-calls.ts";
export type { ReplayOptions, ReplayResult } from "./replay.ts";
export {
  MAX_SCHEDULES_PER_FUNCTION,
  MAX_SCHEDULE_DATA_BYTES,
  MIN_SCHEDULE_INTERVAL_MS,
  MAX_SCHEDULE_INTERVAL_MS,
} from "./schedules.ts";
export type {
  ScheduleInput,
  SchedulePatch,
  ScheduleView,
  SchedulePage,
  ScheduleFilter,
  ScheduleTickData,
} from "./schedules.ts";
export type { ControlMode, PauseOptions, PauseResult, ResumeResult, FunctionControlView } from "./function-control.ts";
export type { RunView, StepView, RunSummary, RunPage, TokenView } from "./runs.ts";
export { RUN_STATUSES, ENDED_STATUSES, isEnded } from "./run-status.ts";
export type { RunStatus, EndedStatus } from "./run-status.ts";
export { INVOKED_EVENT, CRON_EVENT, FUNCTION_FAILED_EVENT } from "./system-events.ts";
export { ERROR_NAMES } from "./error-names.ts";
export type { ErrorName } from "./error-names.ts";
export type { AppTarget, RegisteredApp } from "./app-protocol.ts";
export type { SendableEvent } from "./sendable.ts";
export { InvalidExpressionError } from "./expression.ts";
export type { Duration } from "./duration.ts";
export type {
  StepwiseFunction,
  FunctionConfig,
  FunctionConfigInput,
  Trigger,
  Event,
  HandlerContext,
  FailureContext,
  Handler,
  FailureHandler,
} from "./function.ts";
export type { StepTools, StepId } from "./step-tools.ts";
export type {
  WaitForAllOptions,
  WaitForAnyOptions,
  WaitForEventOptions,
  WaitForEventsOptions,
  WaitPart,
  WaitResult,
} from "./event-steps.ts";
export type { InvokeOptions, InvokeManyResult, InvokeTarget } from "./invoke-steps.ts";
export { signTokenCompletion, MAX_TOKEN_DATA_BYTES } from "./wait-tokens.ts";
export { MAX_METADATA_BYTES } from "./metadata.ts";
export type { Metadata, MetadataWriter } from "./metadata.ts";
export type { StepContext } from "./step-context.ts";
export type { RealtimeMessage, RealtimeScope, RealtimeToken, RunMessage, StreamMessage } from "./realtime/messages.ts";
export type { StreamWriter, OutgoingMessage } from "./realtime/publisher.ts";
export type { WaitToken, TokenCompletion, CreateTokenOptions } from "./wait-tokens.ts";
export type { Logger } from "./logger.ts";
export { serve } from "./serve.ts";
export type { ServeOptions, ServeHandler } from "./serve.ts";
export { toNodeListener } from "./node.ts";
