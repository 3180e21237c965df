/**
 * Publishing to realtime streams from a function: `publish` and `stream` in a step's context
 * (best-effort: sent as the step runs), and `step.publish` (durable: a step whose message id is
 * derived from the run and step, so a retry or a replay does not repeat it).
 */
import { StepwiseError } from "../errors.ts";
import { MAX_MESSAGE_BYTES, MAX_MESSAGES_PER_PUBLISH, STREAM_NAME_PATTERN } from "./messages.ts";

/** One message to publish: its data, and an id that makes a repeat of it a no-op. */
export interface OutgoingMessage {
  id?: string;
  data: unknown;
}

/** Where a function's messages go: the engine's streams (embedded) or the client's door (apps). */
export interface Publisher {
  publish(stream: string, messages: OutgoingMessage[]): Promise<{ seqs: number[] }>;
}

/** A publisher for an execution that has none: every publish says how to get one. */
export const noPublisher: Publisher = {
  publish: () =>
    Promise.reject(
      new StepwiseError(
        "This function cannot publish: serve it with a client that has a `binding` or a `baseUrl` and `apiKey`",
      ),
    ),
};

/** Checks a publish before it leaves: a clear error names the stream or the size. */
export function checkOutgoing(stream: string, messages: OutgoingMessage[]): void {
  if (!STREAM_NAME_PATTERN.test(stream))
    throw new StepwiseError(`"${stream.slice(0, 200)}" is not a stream name (1-200 of A-Z a-z 0-9 . _ : / -)`);
  for (const message of messages) {
    const bytes = new TextEncoder().encode(JSON.stringify(message.data ?? null)).byteLength;
    if (bytes > MAX_MESSAGE_BYTES)
      throw new StepwiseError(`A message to "${stream}" is ${bytes} bytes of JSON; the limit is ${MAX_MESSAGE_BYTES}`);
  }
}

/** What a step's code uses to publish, best-effort (see docs/realtime.md). */
export interface StreamWriter {
  /** Publishes one message to `stream` now; resolves with its place in the stream. */
  publish(stream: string, data: unknown): Promise<{ seq: number }>;
  /**
   * Publishes each chunk of `source` (an LLM's token stream, say) as it comes, in order, a few
   * per message when they come fast; resolves with every chunk, joined when they are strings.
   */
  pipe<T>(stream: string, source: AsyncIterable<T> | ReadableStream<T>): Promise<T extends string ? string : T[]>;
}

/** Chunks that arrive within this long of the previous send go out together. */
const PIPE_GAP_MS = 15;

async function* chunksOf<T>(source: AsyncIterable<T> | ReadableStream<T>): AsyncGenerator<T> {
  if (Symbol.asyncIterator in source) {
    yield* source as AsyncIterable<T>;
    return;
  }
  const reader = (source as ReadableStream<T>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** The writer a step's context hands its code. */
export function streamWriter(publisher: Publisher): StreamWriter {
  const publish = async (stream: string, data: unknown) => {
    checkOutgoing(stream, [{ data }]);
    const { seqs } = await publisher.publish(stream, [{ data }]);
    return { seq: seqs[0] ?? 0 };
  };
  const pipe = async <T>(stream: string, source: AsyncIterable<T> | ReadableStream<T>) => {
    checkOutgoing(stream, []);
    const all: T[] = [];
    let pending: T[] = [];
    let sending: Promise<unknown> = Promise.resolve();
    let lastSent = 0;
    const flush = () => {
      const batch = pending.map((data) => ({ data }));
      pending = [];
      lastSent = Date.now();
      // One send at a time, in order: a slow send holds the next, never reorders it.
      sending = sending.then(() => publisher.publish(stream, batch));
      return sending;
    };
    for await (const chunk of chunksOf(source)) {
      all.push(chunk);
      pending.push(chunk);
      if (Date.now() - lastSent >= PIPE_GAP_MS || pending.length >= MAX_MESSAGES_PER_PUBLISH) await flush();
    }
    if (pending.length > 0) await flush();
    await sending;
    const joined = all.every((chunk) => typeof chunk === "string") ? all.join("") : all;
    return joined as T extends string ? string : T[];
  };
  return { publish, pipe };
}
