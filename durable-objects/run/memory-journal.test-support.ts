/**
 * A run's journal held in memory, for the runner's tests in Node: the history as a list, the state
 * folded from it, and the `record` port that appends to one and applies to the other, as the
 * RunObject does with SQLite; and the ports of a host that does nothing else.
 */
import type { RunEvent } from "../../sdk/protocol.ts";
import type { HistoryEntry, HistoryEvent } from "./history.ts";
import type { RunPorts } from "./runner.ts";
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

/**
 * The ports of a run held in memory whose host does nothing but record and execute: no events
 * sent, no children, admitted at once, every slot free, wake-ups dropped. Tests override the ones
 * they watch.
 */
export function memoryPorts(
  state: RunState,
  record: (events: HistoryEvent[]) => void,
  execute: RunPorts["execute"],
): RunPorts {
  return {
    state: () => state,
    record,
    execute,
    sendEvents: async () => ({ ok: true, ids: [] }),
    childRunIds: async () => [],
    startChildren: async () => undefined,
    admit: async () => undefined,
    acquireSlots: async (names) => names,
    releaseSlots: async () => undefined,
    setWake: async () => undefined,
    now: () => Date.now(),
    random: () => 0.5,
  };
}
