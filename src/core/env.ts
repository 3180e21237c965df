/**
 * Bindings of the Stepwise Worker, as declared in wrangler.toml.
 */
import type { CronScheduler } from "../../durable-objects/schedule/cron-scheduler.ts";
import type { RunIndexBuffer } from "../../durable-objects/run-index/run-index-buffer.ts";
import type { RunObject } from "../../durable-objects/run/run-object.ts";
import type { EventSweeper } from "../../durable-objects/sweeper/event-sweeper.ts";
import type { WaitIndex } from "../../durable-objects/waits/wait-index.ts";
import type { BulkJob } from "../../durable-objects/bulk/bulk-job.ts";
import type { ConcurrencyLimiter } from "../../durable-objects/flow/concurrency-limiter.ts";
import type { FlowGate } from "../../durable-objects/flow/flow-gate.ts";
import type { EventCollector } from "../../durable-objects/flow/event-collector.ts";
import type { EventsMessage } from "./events/schema.ts";

export interface Env {
  RUN: DurableObjectNamespace<RunObject>;
  RUN_INDEX: DurableObjectNamespace<RunIndexBuffer>;
  SWEEPER: DurableObjectNamespace<EventSweeper>;
  CRON: DurableObjectNamespace<CronScheduler>;
  WAITS: DurableObjectNamespace<WaitIndex>;
  BULK: DurableObjectNamespace<BulkJob>;
  LIMITS: DurableObjectNamespace<ConcurrencyLimiter>;
  GATES: DurableObjectNamespace<FlowGate>;
  COLLECTORS: DurableObjectNamespace<EventCollector>;
  EVENTS: Queue<EventsMessage>;
  DB: D1Database;
  /** "development" may run without keys (open, and says so); anything else refuses to. */
  STEPWISE_ENV?: string;
  /** API keys (comma-separated, so a key can be rotated): everything but ingestion needs one. */
  STEPWISE_API_KEYS?: string;
  /** Event keys (comma-separated) for `POST /v1/events` and `POST /e/:eventKey`. */
  STEPWISE_EVENT_KEYS?: string;
  /** Signs every request to remote apps (serve()) and checks their answers; apps hold the same key. */
  STEPWISE_SIGNING_KEY?: string;
  /** The previous signing key, still accepted on answers and syncs while apps rotate to the new one. */
  STEPWISE_SIGNING_KEY_FALLBACK?: string;
  /** How long (ms) a remote app may run consecutive steps in one call before answering; 0: one step per call (default 50). */
  STEPWISE_REMOTE_BATCH_MS?: string;
  /** Largest accepted event in bytes (default 512 KiB). */
  STEPWISE_MAX_EVENT_BYTES?: string;
  /** Days events and ended runs are kept (default 30; see src/retention/prune.ts). */
  STEPWISE_RETENTION_DAYS?: string;
}
