/**
 * The context a step's code receives: `step.run("id", ({ stepId, metadata, publish }) => …)`.
 */
import type { MetadataWriter } from "./metadata.ts";
import type { Logger } from "./logger.ts";
import type { StreamWriter } from "./realtime/publisher.ts";

/** What a step's code receives: `step.run("id", ({ metadata, publish }) => …)`. */
export interface StepContext extends StreamWriter {
  /** The step's id (with its counter, `item:2`), the same on every attempt: a key for idempotent calls. */
  stepId: string;
  /** 0 for the first attempt, 1 for the first retry… */
  attempt: number;
  metadata: MetadataWriter;
  /** Logs kept with this attempt of the step: shown beside it on the dashboard, returned by the API. */
  logger: Logger;
}
