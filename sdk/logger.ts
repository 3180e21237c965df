/**
 * The `logger` handed to functions. It stays quiet while a replay walks through memoized steps,
 * so a line logged once in the code is printed once per run, not once per replay. Lines are held
 * until the execution knows whether its answer reports what produced them (see ./execution.ts).
 */

import { uncaptured } from "./console-tap.ts";

/** Logging methods available to function code. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * Where a function's log lines go: held while it is not yet known whether the replay that logged
 * them will be answered (a discarded replay is replayed, and logged, again by the next call), and
 * printed as they come once it is (so a long step's lines appear while it runs).
 */
export class LogLines {
  private held: { level: keyof Logger; args: unknown[] }[] = [];
  private live = false;

  constructor(private readonly sink: Logger = console) {}

  add(level: keyof Logger, args: unknown[]): void {
    // The logger keeps a step's lines itself (see execution.ts): the console tap must not as well.
    if (this.live) uncaptured(() => this.sink[level](...args));
    else this.held.push({ level, args });
  }

  /** Prints what was held, and every later line at once. */
  goLive(): void {
    for (const line of this.held) uncaptured(() => this.sink[line.level](...line.args));
    this.held = [];
    this.live = true;
  }

  /** Forgets what was held: the replay that logged it will run again. */
  drop(): void {
    this.held = [];
  }

  /** Holds lines again: a new round of the same handler, printed only if its answer is kept. */
  startRound(): void {
    this.live = false;
  }
}

/** A logger that logs with the run's id as prefix, and only while `quiet()` is false; `tap` sees each line too. */
export function replayAwareLogger(
  runId: string,
  quiet: () => boolean,
  lines: LogLines,
  tap?: (level: keyof Logger, args: unknown[]) => void,
): Logger {
  const emit =
    (level: keyof Logger) =>
    (...args: unknown[]): void => {
      if (quiet()) return;
      lines.add(level, [`[run ${runId}]`, ...args]);
      tap?.(level, args);
    };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
