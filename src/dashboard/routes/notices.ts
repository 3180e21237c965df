/**
 * What an action did, carried to the page it redirects to as `?done=<code>`: a fixed set of
 * messages, so nothing a URL holds is ever shown as text.
 */
const NOTICES: Record<string, { text: string; error: boolean }> = {
  cancelled: { text: "Run cancelled.", error: false },
  "already-ended": { text: "The run had already ended; nothing was cancelled.", error: true },
  woken: { text: "Woken: the run's timer fired now.", error: false },
  "started-now": { text: "The scheduled run starts now.", error: false },
  "already-started": { text: "The run had already started; its start time stays.", error: true },
  "not-sleeping": { text: "The run had no timer to fire.", error: true },
  replayed: {
    text: "Replay started: this run begins with the original run's results up to its first failed step.",
    error: false,
  },
  "replayed-from-start": { text: "Replay started from the first step.", error: false },
  "replayed-from-step": {
    text: "Replay started: this run begins with the original run's results up to the step you chose.",
    error: false,
  },
  "replayed-with-data": { text: "Replay started with the edited data: every step runs again.", error: false },
  invoked: { text: "Function invoked.", error: false },
  paused: { text: "Paused: new runs wait, and running runs hold at their next step.", error: false },
  draining: { text: "Draining: new runs wait; running runs finish.", error: false },
  "not-paused": { text: "The function was not paused; nothing changed.", error: true },
  "token-resumed": { text: "Wait token completed: the waiting step resumed.", error: false },
  "token-completed": { text: "Wait token completed: it is kept for the step that will wait for it.", error: false },
};

/** The notice for `code`, or none for a code this dashboard did not give out. */
export function doneNotice(code: string | undefined): { text: string; error: boolean } | undefined {
  return code === undefined ? undefined : NOTICES[code];
}
