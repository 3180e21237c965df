/**
 * Folding a subscription's messages into what a page shows: the run as it is now, or a stream's
 * messages so far (and their text, for a token stream). Pure, so the React hooks and any other
 * view layer share it.
 */
import type { RunView } from "../runs.ts";
import type { RealtimeMessage, StreamMessage } from "./messages.ts";

/** The run after `message` (undefined until its snapshot arrives). */
export function foldRun(run: RunView | undefined, message: RealtimeMessage): RunView | undefined {
  switch (message.type) {
    case "snapshot":
      return message.run;
    case "step": {
      if (!run) return run;
      const steps = run.steps.some((step) => step.id === message.step.id)
        ? run.steps.map((step) => (step.id === message.step.id ? message.step : step))
        : [...run.steps, message.step];
      return { ...run, steps };
    }
    case "metadata":
      return run && { ...run, metadata: message.metadata };
    case "status":
      return (
        run && {
          ...run,
          status: message.status,
          ...(message.output !== undefined ? { output: message.output } : {}),
          ...(message.outputBytes !== undefined ? { outputBytes: message.outputBytes } : {}),
          ...(message.error ? { error: message.error } : {}),
        }
      );
    default:
      return run;
  }
}

/** A stream as a page shows it: its messages in order, and whether the replay is over. */
export interface StreamView<T = unknown> {
  messages: (StreamMessage & { data: T })[];
  /** The string messages joined: the text so far of a token stream. */
  text: string;
  live: boolean;
}

export const emptyStream = <T>(): StreamView<T> => ({ messages: [], text: "", live: false });

/** The stream after `message`; a message seen already (a reconnect's replay) is not added twice. */
export function foldStream<T>(view: StreamView<T>, message: RealtimeMessage): StreamView<T> {
  if (message.type === "live") return view.live ? view : { ...view, live: true };
  if (message.type !== "message") return view;
  const last = view.messages.at(-1);
  if (last && message.seq <= last.seq) return view;
  const text = typeof message.data === "string" ? view.text + message.data : view.text;
  return { ...view, messages: [...view.messages, message as StreamMessage & { data: T }], text };
}
