/**
 * CEL expressions in function config (`if`, `idempotency`, later flow-control keys), compiled
 * once with @bufbuild/cel, which interprets a parsed tree (no eval, so it runs in workerd).
 * An expression that does not parse is rejected when the function is defined, not when an
 * event arrives.
 */
import { celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { StepwiseError } from "./errors.ts";

/** An expression that does not parse; the message is CEL's, with the position. */
export class InvalidExpressionError extends StepwiseError {
  override name = "InvalidExpressionError";
}

/** What an expression sees: the event under consideration, and for waits the incoming one. */
export interface ExpressionVars {
  event: unknown;
  async?: unknown;
}

/** A compiled expression: `evaluate` gives the value, or an error when a field is missing. */
export interface Expression {
  readonly source: string;
  evaluate(vars: ExpressionVars): { ok: true; value: unknown } | { ok: false; error: string };
}

const env = celEnv();
const compiled = new Map<string, Expression>();
/**
 * Most compiled expressions kept. Functions bring a handful each, but expressions also come from
 * requests (`waitForEvent` `if`), so the cache forgets the least recently used past this.
 */
export const MAX_COMPILED_EXPRESSIONS = 1_000;

/** How many compiled expressions are cached (for tests of the bound). */
export const compiledCount = (): number => compiled.size;

/** Compiles `source` (cached); throws {@link InvalidExpressionError} with CEL's message. */
export function compileExpression(source: string): Expression {
  const cached = compiled.get(source);
  if (cached) {
    // Moved to the end: a Map iterates in insertion order, so the first key is the least recent.
    compiled.delete(source);
    compiled.set(source, cached);
    return cached;
  }
  let program: ReturnType<typeof plan>;
  try {
    program = plan(env, parse(source));
  } catch (error) {
    throw new InvalidExpressionError(
      `Invalid expression ${JSON.stringify(source)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const expression: Expression = {
    source,
    evaluate(vars) {
      // CEL reads plain objects as maps; JSON values need no conversion beyond dropping undefined.
      const result = program(JSON.parse(JSON.stringify(vars)) as Record<string, never>);
      if (isCelError(result)) return { ok: false, error: result.message };
      return { ok: true, value: typeof result === "bigint" ? Number(result) : result };
    },
  };
  if (compiled.size >= MAX_COMPILED_EXPRESSIONS) compiled.delete(compiled.keys().next().value ?? "");
  compiled.set(source, expression);
  return expression;
}

/** The CEL error for `source`, or undefined when it compiles (for config validation). */
export function expressionError(source: string): string | undefined {
  try {
    compileExpression(source);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** True when the expression holds; a missing field or a non-boolean value counts as false. */
export function holds(expression: Expression, vars: ExpressionVars): boolean {
  const result = expression.evaluate(vars);
  return result.ok && result.value === true;
}

/** The expression's value as a key (for idempotency and flow control), or undefined if it has none. */
export function keyOf(expression: Expression, vars: ExpressionVars): string | undefined {
  const result = expression.evaluate(vars);
  if (!result.ok || result.value === null || result.value === undefined) return undefined;
  return typeof result.value === "string" ? result.value : JSON.stringify(result.value);
}
