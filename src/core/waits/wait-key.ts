/**
 * The equality a wait's condition is found by. `match: "data.orderId"` becomes
 * `event.data.orderId == async.data.orderId`, and an `if` often holds such an equality among
 * other terms: lifted out of the condition, it gives the waiter a key (a path into the incoming
 * event and the value found there), and an arriving event is checked only against the waiters
 * keyed by its own value at that path, instead of against every waiter of its name. The key
 * only narrows: the condition is still evaluated in full before a wait is resumed, so a key is
 * lifted only where a different key proves the condition false.
 */
import { parse } from "@bufbuild/cel";
import type { RunEvent } from "../../../sdk/protocol.ts";

/** A waiter's key: the path into the incoming event (JSON of its segments) and the value (JSON). */
export interface WaitKey {
  path: string;
  value: string;
}

type Expr = ReturnType<typeof parse>["expr"];

/** The path of `expr` under the variable `root` (`root.a.b` or `root["a"]`), if it is one. */
function pathUnder(expr: Expr | undefined, root: string): string[] | undefined {
  const kind = expr?.exprKind;
  if (kind?.case === "identExpr") return kind.value.name === root ? [] : undefined;
  if (kind?.case === "selectExpr") {
    if (kind.value.testOnly) return undefined;
    const base = pathUnder(kind.value.operand, root);
    return base && [...base, kind.value.field];
  }
  if (kind?.case === "callExpr" && kind.value.function === "_[_]" && kind.value.args.length === 2) {
    const [operand, index] = kind.value.args;
    const field = index?.exprKind.case === "constExpr" ? index.exprKind.value.constantKind : undefined;
    if (field?.case !== "stringValue") return undefined;
    const base = pathUnder(operand, root);
    return base && [...base, field.value];
  }
  return undefined;
}

/**
 * A value's key, for the values whose CEL equality is JSON's: strings, booleans and finite
 * numbers (CEL compares ints and doubles by value, and JSON writes 1 and 1.0 alike). Maps, lists
 * and null are not keyed: their waiters are checked against every event.
 */
function valueKey(value: unknown): string | undefined {
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number" && Number.isFinite(value)) return JSON.stringify(value);
  return undefined;
}

/** The value at `path` in `root`, if every step of it is there. */
function valueAt(root: unknown, path: string[]): unknown {
  let at: unknown = root;
  for (const segment of path) {
    if (typeof at !== "object" || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[segment];
  }
  return at;
}

/** The constant `expr` is, if it is a string, boolean or number literal. */
function constant(expr: Expr | undefined): { value: unknown } | undefined {
  if (expr?.exprKind.case !== "constExpr") return undefined;
  const kind = expr.exprKind.value.constantKind;
  if (kind.case === "stringValue" || kind.case === "boolValue" || kind.case === "doubleValue")
    return { value: kind.value };
  if (
    kind.case === "int64Value" &&
    kind.value >= BigInt(Number.MIN_SAFE_INTEGER) &&
    kind.value <= BigInt(Number.MAX_SAFE_INTEGER)
  )
    return { value: Number(kind.value) };
  return undefined;
}

/** The terms of `expr` that must all hold: its top-level `&&` operands. */
function conjuncts(expr: Expr): Expr[] {
  const kind = expr.exprKind;
  if (kind.case === "callExpr" && kind.value.function === "_&&_") return kind.value.args.flatMap(conjuncts);
  return [expr];
}

/** The key of `async.<path> == <other>`, where the other side is the run's event or a literal. */
function keyOfEquality(expr: Expr, runEvent: RunEvent): WaitKey | undefined {
  const kind = expr.exprKind;
  if (kind.case !== "callExpr" || kind.value.function !== "_==_" || kind.value.args.length !== 2) return undefined;
  const [left, right] = kind.value.args;
  for (const [incoming, other] of [
    [left, right],
    [right, left],
  ] as const) {
    const path = pathUnder(incoming, "async");
    if (!path || path.length === 0) continue;
    const fromRun = pathUnder(other, "event");
    const value = fromRun ? valueAt(runEvent, fromRun) : constant(other)?.value;
    const key = valueKey(value);
    if (key !== undefined) return { path: JSON.stringify(path), value: key };
  }
  return undefined;
}

/**
 * The key a waiter with `condition` (on behalf of a run started by `runEvent`) is found by, or
 * undefined when no term of the condition pins the incoming event to one value.
 */
export function waitKey(condition: string | undefined, runEvent: RunEvent): WaitKey | undefined {
  if (condition === undefined) return undefined;
  let expr: Expr;
  try {
    expr = parse(condition).expr;
  } catch {
    return undefined;
  }
  for (const term of conjuncts(expr)) {
    const key = keyOfEquality(term, runEvent);
    if (key) return key;
  }
  return undefined;
}

/** The key `event` is found under at `path` (as a {@link WaitKey} names it), if it has one there. */
export function eventKey(event: RunEvent, path: string): string | undefined {
  const segments: unknown = JSON.parse(path);
  if (!Array.isArray(segments) || !segments.every((s): s is string => typeof s === "string")) return undefined;
  return valueKey(valueAt(event, segments));
}
