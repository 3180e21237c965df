/**
 * How a refusal keeps its kind across Workers RPC. RPC keeps only an error's message (and the
 * name of built-in error types), so the entrypoint ends each refusal's message with one line,
 * `[stepwise] {"code":…,"status":…}`, and the SDK reads it back into an error with the same code
 * and status the HTTP API answers with.
 */
import { z } from "zod";
import { StepwiseError } from "./errors.ts";

/** The kind of a refusal, as the HTTP API would answer it. */
export interface Refusal {
  code: string;
  status: number;
}

const MARKER = "\n[stepwise] ";

/**
 * The name the entrypoint's refusals carry. Workers RPC prefixes the message of an error that is
 * not a built-in type with its name ("StepwiseRefusal: …"); {@link refusalOf} takes it off again.
 */
export const REFUSAL_NAME = "StepwiseRefusal";
const refusalSchema = z.object({ code: z.string().regex(/^[a-z_]+$/), status: z.number().int().min(400).max(599) });

/** `message` with the refusal's kind appended, for an error thrown across Workers RPC. */
export function markRefusal(message: string, refusal: Refusal): string {
  return `${message}${MARKER}${JSON.stringify(refusal)}`;
}

/** The message without its marker, and the refusal's kind when it carries one. */
export function refusalOf(error: unknown): { message: string; refusal?: Refusal } {
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw.startsWith(`${REFUSAL_NAME}: `) ? raw.slice(REFUSAL_NAME.length + 2) : raw;
  const at = message.lastIndexOf(MARKER);
  if (at < 0) return { message };
  let json: unknown;
  try {
    json = JSON.parse(message.slice(at + MARKER.length));
  } catch {
    return { message };
  }
  const parsed = refusalSchema.safeParse(json);
  return parsed.success ? { message: message.slice(0, at), refusal: parsed.data } : { message };
}

/** Stepwise refused a call made over the binding; `code` and `status` are the HTTP API's. */
export class StepwiseRefusedError extends StepwiseError {
  override name = "StepwiseRefusedError";
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Calls `call` on the binding and turns a refusal into a {@link StepwiseRefusedError} (or what
 * `wrap` makes of it); an error without a marker (the binding is down, a bug) is rethrown as is.
 */
export async function callBinding<T>(call: () => Promise<T>, wrap: (message: string, refusal: Refusal) => Error = (m, r) => new StepwiseRefusedError(m, r.code, r.status)): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const { message, refusal } = refusalOf(error);
    throw refusal ? wrap(message, refusal) : error;
  }
}
