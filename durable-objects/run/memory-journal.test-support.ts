/**
 * A run's journal held in memory, for the runner's tests in Node: the history as a list, the state
 * folded from it, and the `record` port that appends to one and applies to the other, as the
 * RunObject does with SQLite.
 */
import type { RunEvent } from "../../sdk/protocol.ts";
import type { HistoryEntry, HistoryEvent } from "./history.ts";
import { apply, foldHistory, type RunState } from "./state.ts";

/** A created run of `functionId` with `event`, in memory. */
export function memoryJournal(
  functionId: string,
  event: RunEvent = { id: "e", name: "t", data: {}, ts: 0 },
  runId = "r",
) {
  const history: HistoryEntry[] = [{ type: "run.created", runId, functionId, events: [event], seq: 1, at: 0 }];
  const state = foldHistory(history) as RunState;
  const record = (events: HistoryEvent[]): void => {
    for (const recorded of events) {
      const entry = { ...recorded, seq: state.lastSeq + 1, at: Date.now() };
      history.push(entry);
      apply(state, entry);
    }
  };
  return { history, state, record };
}
