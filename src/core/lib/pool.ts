/**
 * A bound on calls in flight: a Worker invocation that starts a thousand runs at once holds a
 * thousand open calls (and, locally, a thousand SQLite databases opening), where a few dozen at a
 * time finish as fast. Tasks wait their turn in the order given.
 */

/** Runs a task when fewer than `limit` of its tasks are in flight. */
export type Pool = <T>(task: () => Promise<T>) => Promise<T>;

/** A pool of `limit` slots. */
export function pool(limit: number): Pool {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running--;
    waiting.shift()?.();
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
