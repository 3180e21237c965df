/**
 * The console tap behind step logs: `console.debug/log/info/warn/error` are wrapped once per
 * isolate, each call printed as before and, when exactly one step runs in the isolate, kept as
 * that step's line too. With several steps running at once (parallel steps, or runs sharing the
 * isolate) whose line it is cannot be known without async context, so it is only printed; and
 * a line other code of the isolate logs outside any step while one runs is kept with that step.
 */

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
      if (printing || running.size !== 1 || (typeof args[0] === "string" && args[0].startsWith("stepwise:"))) return;
      const [only] = running;
      only?.add(level, args, false);
    };
  }
}

/** Keeps console lines in `lines` while it is the isolate's only step running; the answer stops it. */
export function captureConsoleInto(lines: CapturedLines): () => void {
  tapConsole();
  running.add(lines);
  return () => void running.delete(lines);
}
