/** The shape of an event a caller sends. */
import type { Duration } from "./duration.ts";

/** An event to send: only `name` is required; Stepwise assigns `id` and `ts` when absent. */
export interface SendableEvent {
  name: string;
  data?: Record<string, unknown>;
  id?: string;
  ts?: number;
  user?: Record<string, unknown>;
  /**
   * Tags (up to 10) for the runs this event starts; an event sent by `step.sendEvent` also
   * carries its run's tags, first.
   */
  tags?: string[];
  /**
   * Starts the runs this event starts after this long (`"10m"`, `"2 days"`, milliseconds; at
   * most a year): the event is recorded with a `ts` that far ahead. Not with `ts`.
   */
  delay?: Duration;
  /** The W3C trace context of the span sending it (`00-<trace>-<span>-01`): its runs' spans join that trace. */
  traceparent?: string;
}
