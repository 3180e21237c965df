/**
 * Where the examples' side effects land (emails sent, workspaces created, results saved), so a
 * test or a curious developer can see that each happened exactly once. In a real app these would
 * be calls to an email API or a database.
 */

export interface Effect {
  kind: string;
  key: string;
  at: number;
  detail?: unknown;
}

const log: Effect[] = [];

/** Records that a side effect happened. */
export function recordEffect(kind: string, key: string, detail?: unknown): void {
  log.push({ kind, key, at: Date.now(), ...(detail === undefined ? {} : { detail }) });
}

/** Side effects recorded for `key` (a user id, a document id), oldest first. */
export function effectsFor(key: string): Effect[] {
  return log.filter((effect) => effect.key === key);
}
