/**
 * Turning what Stepwise answers over either door (an {@link RpcAnswer} over the binding, an error
 * body over HTTPS) into a value or a typed error with the same code and status.
 */
import { z } from "zod";
import { answerSchema, type Refusal } from "./binding.ts";
import { StepwiseError } from "./errors.ts";

/** Stepwise refused a call; `code` and `status` are the HTTP API's for that refusal. */
export class StepwiseRefusedError extends StepwiseError {
  override name = "StepwiseRefusedError";
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly issues: unknown[] = [],
  ) {
    super(message);
  }
}

/** Makes the error a refusal is thrown as (SendEventsError for sends). */
export type RefusalError = (refusal: Refusal & { issues?: unknown[] }) => Error;

const refusedError: RefusalError = (refusal) =>
  new StepwiseRefusedError(refusal.message, refusal.code, refusal.status, refusal.issues);

/**
 * The value of an answer that crossed the binding, checked against `schema`; a refusal is thrown
 * as `toError` makes it.
 */
export function unwrapAnswer<S extends z.ZodType>(
  answer: unknown,
  schema: S,
  toError: RefusalError = refusedError,
): z.output<S> {
  const parsed = answerSchema(schema).safeParse(answer);
  if (!parsed.success)
    throw new StepwiseError(
      `Stepwise answered over its binding with something unexpected (is it the same version?): ${z.prettifyError(parsed.error)}`,
    );
  // zod's inferred union does not narrow on a generic schema; this is what it just checked.
  const checked = parsed.data as { ok: true; value: z.output<S> } | { ok: false; refusal: Refusal };
  if (!checked.ok) throw toError(checked.refusal);
  return checked.value;
}

const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.unknown()).optional() }),
});

/** The value of an HTTP answer, checked against `schema`; an error answer is thrown as `toError` makes it. */
export async function unwrapResponse<S extends z.ZodType>(
  response: Response,
  schema: S,
  toError: RefusalError = refusedError,
): Promise<z.output<S>> {
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new StepwiseError(
      `Stepwise answered ${response.status} with something unexpected: ${z.prettifyError(parsed.error)}`,
    );
  }
  const refused = errorBodySchema.safeParse(body);
  const { code, message, issues } = refused.success
    ? refused.data.error
    : { code: "http_error", message: `Stepwise answered ${response.status}`, issues: [] };
  throw toError({ code, status: response.status, message, issues: issues ?? [] });
}
