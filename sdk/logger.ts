/**
 * The `logger` handed to functions. It stays quiet while a replay walks through memoized steps,
 * so a line logged once in the code is printed once per run, not once per replay.
 */

/** Logging methods available to function code. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** A logger that prints with the run's id as prefix, and only when `isReplaying()` is false. */
export function replayAwareLogger(runId: string, isReplaying: () => boolean, sink: Logger = console): Logger {
  const emit =
    (level: keyof Logger) =>
    (...args: unknown[]): void => {
      if (!isReplaying()) sink[level](`[run ${runId}]`, ...args);
    };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
