/**
 * Sizes of JSON values as they are stored, and their human-readable form for limit errors.
 */

const encoder = new TextEncoder();

/** Bytes of `value` serialized as JSON (UTF-8). */
export function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value) ?? "null").byteLength;
}

const measured = new WeakMap<object, number>();

/**
 * Bytes of a step's `output` as JSON, measured once per step object: on the live path the payload
 * store and the engine both ask about the same step, and a large result is costly to serialize.
 */
export function outputBytes(step: { output?: unknown }): number {
  let bytes = measured.get(step);
  if (bytes === undefined) {
    bytes = jsonBytes(step.output ?? null);
    measured.set(step, bytes);
  }
  return bytes;
}

/** `1536` → `"1.5 KiB"`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;
}
