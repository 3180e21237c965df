/**
 * The console tap behind step logs: `console.debug/log/info/warn/error` are wrapped once per
 * isolate, each call printed as before and kept as the line of the step that wrote it.
 * - Where the runtime has async context (AsyncLocalStorage: Node, Bun, Deno, and Workers with
 *   `nodejs_compat`), a line is the step's whose code wrote it, however many steps
 *   run at once (parallel steps, runs sharing the isolate); a line written outside every step is
 *   only printed.
 * - Elsewhere, a line is kept only while exactly one step runs in the isolate (whose line it is
 *   cannot be known otherwise), and then a line other code writes meanwhile is kept with it.
 * AsyncLocalStorage is looked up at run time, never imported, so the SDK loads on runtimes
 * without it.
 */

/** The part of AsyncLocalStorage used here. */
interface AsyncContext<T> {
  run<R>(store: T, fn: () => R): R;
  getStore(): T | undefined;
}
type AsyncContextClass = new <T>() => AsyncContext<T>;

/** The runtime's AsyncLocalStorage: a global, or Node's module through process.getBuiltinModule; undefined without one. */
function asyncLocalStorage(): AsyncContextClass | undefined {
  const scope = globalThis as {
    AsyncLocalStorage?: unknown;
    process?: { getBuiltinModule?: (id: string) => unknown };
  };
  if (typeof scope.AsyncLocalStorage === "function") return scope.AsyncLocalStorage as AsyncContextClass;
  try {
    const hooks = scope.process?.getBuiltinModule?.("node:async_hooks") as { AsyncLocalStorage?: unknown } | undefined;
    return typeof hooks?.AsyncLocalStorage === "function" ? (hooks.AsyncLocalStorage as AsyncContextClass) : undefined;
  } catch {
    return undefined;
  }
}

/** The levels a step's lines are kept at. */
type Level = "debug" | "info" | "warn" | "error";

/** Where a captured line goes (a step's log recorder). */
export interface CapturedLines {
  add(level: Level, args: unknown[], print: boolean): void;
}

/** The console methods captured, and the level each line is kept at. */
const CONSOLE_LEVELS = { debug: "debug", log: "info", info: "info", warn: "warn", error: "error" } as const;
/** The recorders of the steps running in this isolate now, across runs. */
const running = new Set<CapturedLines>();
/** Set while Stepwise prints a line it keeps (or not) itself, so the tap does not keep it again. */
let printing = false;
let tapped = false;
/** Which step's code is running, where the runtime can say (made on first use). */
let context: AsyncContext<CapturedLines> | null | undefined;
const stepContext = (): AsyncContext<CapturedLines> | null => {
  if (context === undefined) {
    const Storage = asyncLocalStorage();
    context = Storage ? new Storage<CapturedLines>() : null;
  }
  return context;
};

/** Prints through `print` without the tap keeping the line. */
export function uncaptured(print: () => void): void {
  const before = printing;
  printing = true;
  try {
    print();
  } finally {
    printing = before;
  }
}

function tapConsole(): void {
  if (tapped) return;
  tapped = true;
  for (const [method, level] of Object.entries(CONSOLE_LEVELS) as [keyof typeof CONSOLE_LEVELS, Level][]) {
    const print = console[method].bind(console);
    console[method] = (...args: unknown[]): void => {
      print(...args);
      // Stepwise's own lines ("stepwise: …", from other work in the isolate) are never a step's.
      if (printing || (typeof args[0] === "string" && args[0].startsWith("stepwise:"))) return;
      const steps = stepContext();
      if (steps) return void steps.getStore()?.add(level, args, false);
      if (running.size !== 1) return;
      const [only] = running;
      only?.add(level, args, false);
    };
  }
}

/** Runs a step's code with the console lines it writes (in it, and in what it awaits) kept in `lines`, where the runtime has async context. */
export function inStepContext<R>(lines: CapturedLines, fn: () => R): R {
  const steps = stepContext();
  return steps ? steps.run(lines, fn) : fn();
}

/** The lines of the step whose code is running now, where the runtime has async context. */
export const currentStepLines = (): CapturedLines | undefined => stepContext()?.getStore();

/** Whether lines are told apart by async context here, so parallel steps' lines are kept too. */
export const hasAsyncContext = (): boolean => stepContext() !== null;

/** Keeps console lines in `lines` while it is the isolate's only step running (no async context); the answer stops it. */
export function captureConsoleInto(lines: CapturedLines): () => void {
  tapConsole();
  running.add(lines);
  return () => void running.delete(lines);
}
