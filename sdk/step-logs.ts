/**
 * Step logs: the lines a step's code logs (its context's `logger`, or the function's `logger`
 * while that step is the only one running) are kept with the step's attempt in the run's
 * history, shown beside the step on the dashboard and returned by the API. Bounded per attempt;
 * a replay runs no step code, so it logs nothing.
 */
import { z } from "zod";
import type { Logger } from "./logger.ts";
import { captureConsoleInto, inStepContext, uncaptured } from "./console-tap.ts";

/** Most lines one attempt of a step keeps; past it one line says how many were dropped. */
export const MAX_STEP_LOG_LINES = 100;
/** Longest line kept (longer ones are cut, with an ellipsis). */
export const MAX_LOG_LINE_CHARS = 2_000;

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

export const stepLogLineSchema = z.object({
  level: z.enum(LOG_LEVELS),
  at: z.number(),
  message: z.string().max(MAX_LOG_LINE_CHARS + 1),
});
export type StepLogLine = z.infer<typeof stepLogLineSchema>;
export const stepLogsSchema = z.array(stepLogLineSchema).max(MAX_STEP_LOG_LINES + 1);

/** One argument as text: strings as they are, errors with their message, the rest as JSON. */
function text(arg: unknown): string {
  if (typeof arg === "string") return arg;
  if (arg instanceof Error) return `${arg.name}: ${arg.message}`;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}

/** The lines of one attempt of a step, kept as they are logged (and passed on to `sink`). */
export class StepLogRecorder {
  private readonly kept: StepLogLine[] = [];
  private dropped = 0;

  constructor(private readonly sink?: Logger) {}

  /** Records a line; `print` false for one printed already (the function's `logger`, `console.*`). */
  add(level: StepLogLine["level"], args: unknown[], print = true): void {
    const sink = this.sink;
    if (print && sink) uncaptured(() => sink[level](...args));
    if (this.kept.length >= MAX_STEP_LOG_LINES) return void this.dropped++;
    const message = args.map(text).join(" ");
    this.kept.push({
      level,
      at: Date.now(),
      message: message.length > MAX_LOG_LINE_CHARS ? `${message.slice(0, MAX_LOG_LINE_CHARS)}…` : message,
    });
  }

  private release: (() => void) | undefined;

  /** While the step's attempt runs: `console.*` lines are kept here when it is the isolate's only step running. */
  open(): void {
    this.release ??= captureConsoleInto(this);
  }

  /** Runs the step's code so its `console.*` lines come here, where the runtime has async context. */
  run<R>(fn: () => R): R {
    return inStepContext(this, fn);
  }

  /** The attempt ended. */
  close(): void {
    this.release?.();
    this.release = undefined;
  }

  /** A logger that records here. */
  get logger(): Logger {
    const emit =
      (level: StepLogLine["level"]) =>
      (...args: unknown[]) =>
        this.add(level, args);
    return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
  }

  /** What the attempt logged (absent when nothing), with a last line for what was dropped. */
  lines(): { logs?: StepLogLine[] } {
    if (this.kept.length === 0) return {};
    const more: StepLogLine[] =
      this.dropped > 0
        ? [
            {
              level: "warn",
              at: Date.now(),
              message: `… ${this.dropped} more lines dropped (the limit is ${MAX_STEP_LOG_LINES})`,
            },
          ]
        : [];
    return { logs: [...this.kept, ...more] };
  }
}

/** The console, with `prefix` before each line. */
export function prefixedConsole(prefix: string): Logger {
  const emit =
    (level: StepLogLine["level"]) =>
    (...args: unknown[]): void =>
      console[level](prefix, ...args);
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
