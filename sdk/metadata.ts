/**
 * Run metadata: a small JSON object a run's steps write as they go ("12 of 40 files"), read by
 * the API, the binding and realtime subscribers. A step changes it through the context its code
 * receives; the changes count once, when the attempt succeeds, and are applied in the order the
 * engine records them, so increments from parallel steps add up instead of overwriting.
 */
import { z } from "zod";
import { InvalidStepError } from "./errors.ts";

/** Largest a run's metadata may grow, as JSON. */
export const MAX_METADATA_BYTES = 64 * 1024;
/** Most changes one step attempt may make. */
export const MAX_METADATA_OPS = 1_000;

const keySchema = z.string().min(1).max(128);

/** One change: set a key (null removes it), append to a list, or add to a number. */
export const metadataOpSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("set"), key: keySchema, value: z.unknown() }),
  z.object({ op: z.literal("append"), key: keySchema, value: z.unknown() }),
  z.object({ op: z.literal("increment"), key: keySchema, by: z.number().finite() }),
]);
export type MetadataOp = z.infer<typeof metadataOpSchema>;

/** A run's metadata. */
export type Metadata = Record<string, unknown>;

/** What a step's code can do to its run's metadata. Changes apply when the attempt succeeds. */
export interface MetadataWriter {
  /** Sets `key` to a JSON value; `null` removes it. */
  set(key: string, value: unknown): void;
  /** Appends a value to the list at `key` (a missing key starts a list). */
  append(key: string, value: unknown): void;
  /** Adds `by` (default 1, may be negative) to the number at `key` (a missing key counts as 0). */
  increment(key: string, by?: number): void;
}

/** A writer that collects one attempt's changes, checked as they are made. */
export function metadataRecorder(stepId: string): { writer: MetadataWriter; ops: MetadataOp[] } {
  const ops: MetadataOp[] = [];
  const push = (op: MetadataOp): void => {
    const parsed = metadataOpSchema.safeParse(op);
    if (!parsed.success)
      throw new InvalidStepError(`Step "${stepId}": invalid metadata change: ${z.prettifyError(parsed.error)}`);
    if (ops.length >= MAX_METADATA_OPS)
      throw new InvalidStepError(`Step "${stepId}" made more than ${MAX_METADATA_OPS} metadata changes in one attempt`);
    // Stored as JSON: what the run reads back is what JSON keeps of the value.
    const value = "value" in op ? (JSON.parse(JSON.stringify(op.value ?? null)) as unknown) : undefined;
    ops.push("value" in op ? { ...op, value } : op);
  };
  return {
    ops,
    writer: {
      set: (key, value) => push({ op: "set", key, value }),
      append: (key, value) => push({ op: "append", key, value }),
      increment: (key, by = 1) => push({ op: "increment", key, by }),
    },
  };
}

/** `metadata` after `ops`, or why they cannot apply (an increment of something not a number). */
export function applyMetadata(
  metadata: Metadata,
  ops: MetadataOp[],
): { ok: true; value: Metadata } | { ok: false; error: string } {
  const next: Metadata = { ...metadata };
  for (const op of ops) {
    const current = next[op.key];
    if (op.op === "set") {
      if (op.value === null || op.value === undefined) delete next[op.key];
      else next[op.key] = op.value;
    } else if (op.op === "append") {
      next[op.key] =
        current === undefined ? [op.value] : Array.isArray(current) ? [...current, op.value] : [current, op.value];
    } else {
      if (current !== undefined && typeof current !== "number")
        return { ok: false, error: `metadata "${op.key}" is not a number, so it cannot be incremented` };
      next[op.key] = (current ?? 0) + op.by;
    }
  }
  return { ok: true, value: next };
}
