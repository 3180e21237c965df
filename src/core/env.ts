/**
 * Bindings of the Stepwise Worker, as declared in wrangler.toml. The object namespaces name their
 * classes through `import()` types only: the core never imports a Durable Object, and the types of
 * the stubs it makes (src/core/objects.ts) still check every RPC call.
 */
import type { EventsMessage } from "./events/schema.ts";

export interface Env {
  RUN: DurableObjectNamespace<import("../../durable-objects/run/run-object.ts").RunObject>;
  RUN_INDEX: DurableObjectNamespace<import("../../durable-objects/run-index/run-index-buffer.ts").RunIndexBuffer>;
  SWEEPER: DurableObjectNamespace<import("../../durable-objects/sweeper/event-sweeper.ts").EventSweeper>;
  EVENT_SHARDS: DurableObjectNamespace<import("../../durable-objects/events/event-shard.ts").EventShard>;
  IDEMPOTENCY: DurableObjectNamespace<import("../../durable-objects/keys/idempotency-shard.ts").IdempotencyShard>;
  CRON: DurableObjectNamespace<import("../../durable-objects/schedule/cron-scheduler.ts").CronScheduler>;
  WAITS: DurableObjectNamespace<import("../../durable-objects/waits/wait-index.ts").WaitIndex>;
  BULK: DurableObjectNamespace<import("../../durable-objects/bulk/bulk-job.ts").BulkJob>;
  LIMITS: DurableObjectNamespace<import("../../durable-objects/flow/concurrency-limiter.ts").ConcurrencyLimiter>;
  GATES: DurableObjectNamespace<import("../../durable-objects/flow/flow-gate.ts").FlowGate>;
  COLLECTORS: DurableObjectNamespace<import("../../durable-objects/flow/event-collector.ts").EventCollector>;
  STREAMS: DurableObjectNamespace<import("../../durable-objects/realtime/realtime-stream.ts").RealtimeStream>;
  EVENTS: Queue<EventsMessage>;
  /** Extra events queues, numbered from 1 without gaps (src/core/events/queues.ts). */
  [extraQueue: `EVENTS_${number}`]: Queue<EventsMessage> | undefined;
  DB: D1Database;
  /** Step results past the inline limit (1 MiB), up to 100 MiB each; without it, 1 MiB is the limit. */
  PAYLOADS?: R2Bucket;
  /**
   * The deployment version (wrangler.toml `[version_metadata]`): the start-up pass runs once per
   * version rather than once per isolate. Optional: without it, once per isolate start.
   */
  CF_VERSION_METADATA?: WorkerVersionMetadata;
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
  /**
   * The signing key Inngest apps hold (`signkey-<env>-<hex>`, as their INNGEST_SIGNING_KEY): calls
   * to them are signed with it and their syncs prove it. Unset in development: Inngest's dev mode.
   */
  INNGEST_SIGNING_KEY?: string;
  /** The previous Inngest signing key, still accepted while apps rotate to the new one. */
  INNGEST_SIGNING_KEY_FALLBACK?: string;
  /** How long (ms) a remote app may run consecutive steps in one call before answering; 0: one step per call (default 50). */
  STEPWISE_REMOTE_BATCH_MS?: string;
  /** The deployment's public origin (`https://stepwise.example.com`): wait token URLs start with it. */
  STEPWISE_PUBLIC_URL?: string;
  /** Largest accepted event in bytes (default 512 KiB). */
  STEPWISE_MAX_EVENT_BYTES?: string;
  /** EventShards events are spread over (default 16, at most 256; raise it, never lower it: docs/scale.md). */
  STEPWISE_EVENT_SHARDS?: string;
  /** Days routed events are kept, when shorter than STEPWISE_RETENTION_DAYS (at least 2; docs/scale.md). */
  STEPWISE_EVENT_RETENTION_DAYS?: string;
  /** Days events and ended runs are kept (default 30; see src/retention/prune.ts). */
  STEPWISE_RETENTION_DAYS?: string;
  /** An OTLP/HTTP endpoint (`https://otel.example.com:4318`): runs' spans and step logs are exported there (core/telemetry). */
  STEPWISE_OTLP_ENDPOINT?: string;
  /** Headers for the OTLP endpoint, `name=value` pairs, comma-separated (a secret: an API key). */
  STEPWISE_OTLP_HEADERS?: string;
  /** The exported `service.name` (default "stepwise"). */
  STEPWISE_OTLP_SERVICE_NAME?: string;
  /** Email alerts: the provider's API key (a secret), the sender, and its Resend-compatible API (default Resend's). */
  STEPWISE_EMAIL_API_KEY?: string;
  STEPWISE_EMAIL_FROM?: string;
  STEPWISE_EMAIL_API_URL?: string;
}
