/**
 * Bindings of the Stepwise Worker, as declared in wrangler.toml.
 */
import type { RunIndexBuffer } from "../durable-objects/run-index/run-index-buffer.ts";
import type { RunObject } from "../durable-objects/run/run-object.ts";

export interface Env {
  RUN: DurableObjectNamespace<RunObject>;
  RUN_INDEX: DurableObjectNamespace<RunIndexBuffer>;
  DB: D1Database;
  /** "development" leaves the API open for local use. */
  STEPWISE_ENV?: string;
}
