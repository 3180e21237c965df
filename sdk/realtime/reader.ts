/**
 * Reading a subscription's messages off a byte stream: newline-delimited JSON (the binding) or
 * Server-Sent Events (HTTP). Each message is checked against the schema; breaking out of the loop
 * cancels the stream, which ends the subscription.
 */
import { StepwiseError } from "../errors.ts";
import { realtimeMessageSchema, type RealtimeMessage } from "./messages.ts";

function parseMessage(text: string): RealtimeMessage {
  const parsed = realtimeMessageSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new StepwiseError(`Stepwise sent a realtime message this SDK cannot read: ${text.slice(0, 200)}`);
  return parsed.data;
}

/** The lines of `stream` split on `separator`, decoded as UTF-8. */
async function* frames(stream: ReadableStream<Uint8Array>, separator: string): AsyncGenerator<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let at = buffer.indexOf(separator);
      while (at >= 0) {
        yield buffer.slice(0, at);
        buffer = buffer.slice(at + separator.length);
        at = buffer.indexOf(separator);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Messages of a newline-delimited JSON stream. */
export async function* ndjsonMessages(stream: ReadableStream<Uint8Array>): AsyncGenerator<RealtimeMessage> {
  for await (const line of frames(stream, "\n")) if (line.trim() !== "") yield parseMessage(line);
}

/** Messages of a Server-Sent Events stream (`data:` lines; comments are keep-alives). */
export async function* sseMessages(stream: ReadableStream<Uint8Array>): AsyncGenerator<RealtimeMessage> {
  for await (const frame of frames(stream, "\n\n")) {
    const data = frame
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trimStart())
      .join("\n");
    if (data !== "") yield parseMessage(data);
  }
}
