/**
 * Publishing to a realtime stream from inside Stepwise: the publisher embedded functions get, and
 * what the API's and the binding's publish call.
 */
import type { OutgoingMessage, Publisher } from "../../../sdk/realtime/publisher.ts";
import type { Env } from "../env.ts";
import { realtimeStream } from "../objects.ts";

/** Appends `messages` to `stream`; answers each one's place in it. */
export function publishMessages(env: Env, stream: string, messages: OutgoingMessage[]): Promise<{ seqs: number[] }> {
  return realtimeStream(env, stream).publish(messages);
}

/** The publisher of functions that run in this Worker. */
export const enginePublisher = (env: Env): Publisher => ({
  publish: (stream, messages) => publishMessages(env, stream, messages),
});
