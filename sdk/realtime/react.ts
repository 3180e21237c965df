/**
 * `stepwise/react`: React hooks over `stepwise/realtime`. `useRun` keeps a run as it is now (its
 * steps, status, metadata, output) and `useStream` a stream's messages and text, each over one
 * subscription that reconnects with a fresh token from `token()`.
 *
 * @example
 * ```tsx
 * const token = () => fetch(`/api/stepwise-token?run=${runId}`).then((r) => r.text());
 * const { run } = useRun(runId, { url: STEPWISE_URL, token });
 * const { text } = useStream(`replies/${runId}`, { url: STEPWISE_URL, token: streamToken });
 * return <p>{run?.status}: {text}</p>;
 * ```
 */
import { useEffect, useRef, useState } from "react";
import type { RunView } from "../runs.ts";
import { subscribe, type SubscribeOptions, type SubscriptionState } from "./browser.ts";
import { emptyStream, foldRun, foldStream, type StreamView } from "./fold.ts";

/** Where and how to subscribe: Stepwise's origin, a token (or a function for fresh ones), the transport. */
export type HookOptions = Pick<SubscribeOptions, "url" | "token" | "transport">;

interface Live {
  state: SubscriptionState;
  error: Error | undefined;
}

/** Subscribes while mounted (and `name` is set); `token` is read through a ref, so a new closure each render is fine. */
function useSubscription(
  scope: { run: string } | { stream: string } | undefined,
  options: HookOptions & { after?: number },
  onMessage: SubscribeOptions["onMessage"],
): Live {
  const [live, setLive] = useState<Live>({ state: "connecting", error: undefined });
  const latest = useRef({ options, onMessage });
  latest.current = { options, onMessage };
  const key = scope ? ("run" in scope ? `run:${scope.run}` : `stream:${scope.stream}`) : "";
  useEffect(() => {
    if (!scope) return undefined;
    const { url, transport, after } = latest.current.options;
    const token = latest.current.options.token;
    const subscription = subscribe({
      url,
      ...scope,
      ...(transport ? { transport } : {}),
      ...(after !== undefined ? { after } : {}),
      token: typeof token === "function" ? () => (latest.current.options.token as () => Promise<string>)() : token,
      onMessage: (message) => latest.current.onMessage(message),
      onState: (state) => setLive((before) => ({ ...before, state })),
      onError: (error) => setLive((before) => ({ ...before, error })),
    });
    return () => subscription.close();
    // The subscription is keyed by what it opens and where; the rest is read through the ref.
  }, [key, options.url, options.transport]);
  return live;
}

/** A run as it is now: undefined until its snapshot arrives; then each step, status and metadata as they change. */
export function useRun(runId: string | undefined, options: HookOptions): Live & { run: RunView | undefined } {
  const [run, setRun] = useState<RunView | undefined>(undefined);
  const live = useSubscription(runId ? { run: runId } : undefined, options, (message) =>
    setRun((before) => foldRun(before, message)),
  );
  return { ...live, run };
}

/** A stream's messages so far (after `after`), its text (string messages joined) and whether it is live. */
export function useStream<T = unknown>(
  name: string | undefined,
  options: HookOptions & { after?: number },
): Live & StreamView<T> {
  const [view, setView] = useState<StreamView<T>>(emptyStream<T>());
  const live = useSubscription(name ? { stream: name } : undefined, options, (message) =>
    setView((before) => foldStream(before, message)),
  );
  return { ...live, ...view };
}
